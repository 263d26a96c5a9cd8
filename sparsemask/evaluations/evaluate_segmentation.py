import numpy

from chainercv.evaluations import calc_semantic_segmentation_confusion

from sparsemask.evaluations.predict_probabilities import \
    predict_probabilities
from sparsemask.evaluations.segmentation_metrics import segmentation_metrics


def evaluate_segmentation(model, dataset, n_class, scales=(1.0,),
                          flip=False, pad_to=None, comm=None,
                          progress=None):
    """Evaluates a segmentation model on a data set with ChainerCV's
    metrics.

    The confusion matrix of every image
    (:func:`chainercv.evaluations.calc_semantic_segmentation_confusion`)
    is summed, so the metrics are those of
    :func:`chainercv.evaluations.eval_semantic_segmentation` over the
    whole set. Under ChainerMN each process predicts the images ``rank,
    rank + size, ...`` and the matrices are summed across processes.

    Args:
        model (~chainer.Link): see :func:`predict_probabilities`.
        dataset: examples ``(img, label)``: a CHW RGB image in [0, 255] and
            an int label map, -1 (or 255) where ignored.
        n_class (int): the number of classes.
        scales (sequence of float): see :func:`predict_probabilities`.
        flip (bool): see :func:`predict_probabilities`.
        pad_to (tuple of ints): see :func:`predict_probabilities`.
        comm: a ChainerMN communicator, or None.
        progress (callable): called with ``(done, total)`` after each image
            of this process.

    Returns:
        dict: ``confusion`` (the summed matrix) and the metrics of
        :func:`segmentation_metrics`.

    """
    if comm is None:
        indices = range(len(dataset))
    else:
        indices = range(comm.rank, len(dataset), comm.size)
    confusion = numpy.zeros((n_class, n_class), dtype=numpy.int64)
    for done, i in enumerate(indices, 1):
        img, label = dataset[i]
        label = numpy.array(label, dtype=numpy.int32)
        label[label == 255] = -1
        if label.shape != img.shape[1:]:
            raise ValueError(
                'example {}: the label is {}x{} but the image {}x{}'.format(
                    i, label.shape[0], label.shape[1], img.shape[1],
                    img.shape[2]))
        if label.max(initial=-1) >= n_class or label.min(initial=-1) < -1:
            bad = label[(label >= n_class) | (label < -1)]
            raise ValueError(
                'example {}: label value {} is out of range (expected 0 to '
                '{}, or 255/-1 for ignored pixels)'.format(
                    i, int(bad[0]), n_class - 1))
        prob = predict_probabilities(model, img, scales=scales, flip=flip,
                                     pad_to=pad_to)
        pred = prob.argmax(axis=0).astype(numpy.int32)
        c = calc_semantic_segmentation_confusion([pred], [label])
        k = c.shape[0]
        confusion[:k, :k] += c
        if progress is not None:
            progress(done, len(indices))
    if comm is not None:
        confusion = comm.allreduce_obj(confusion)
    result = segmentation_metrics(confusion)
    result['confusion'] = confusion
    return result
