import numpy

from sparsemask.evaluations._binary_maps import check_binary_label
from sparsemask.evaluations._binary_maps import gather_metrics
from sparsemask.evaluations._binary_maps import process_indices
from sparsemask.evaluations.predict_probabilities import \
    predict_probabilities
from sparsemask.evaluations.saliency_metrics import SaliencyMetrics


def evaluate_saliency(model, dataset, scales=(1.0,), flip=False,
                      pad_to=None, comm=None, progress=None):
    """Evaluates a saliency model on a data set: max F_beta (beta^2 = 0.3)
    and MAE of pysodmetrics (:class:`SaliencyMetrics`), the metrics of the
    paper's Table 5.

    Under ChainerMN each process predicts the images ``rank, rank + size,
    ...`` and the per-image results are gathered on every process.

    Args:
        model (~chainer.Link): a model with one output channel (see
            :func:`predict_probabilities`, which gives its sigmoid).
        dataset: examples ``(img, mask)``: a CHW RGB image in [0, 255] and
            a mask of 0 and 1.
        scales (sequence of float): see :func:`predict_probabilities`.
        flip (bool): see :func:`predict_probabilities`.
        pad_to (tuple of ints): see :func:`predict_probabilities`.
        comm: a ChainerMN communicator, or None.
        progress (callable): called with ``(done, total)`` after each image
            of this process.

    Returns:
        dict: what :meth:`SaliencyMetrics.result` returns.

    """
    metrics = SaliencyMetrics()
    indices = process_indices(dataset, comm)
    for done, i in enumerate(indices, 1):
        img, mask = dataset[i]
        mask = numpy.asarray(mask)
        check_binary_label(mask, img, i)
        prob = predict_probabilities(model, img, scales=scales, flip=flip,
                                     pad_to=pad_to)
        metrics.add(prob[0], mask)
        if progress is not None:
            progress(done, len(indices))
    return gather_metrics(metrics, comm).result()
