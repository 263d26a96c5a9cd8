from sparsemask.evaluations._binary_maps import check_binary_label
from sparsemask.evaluations._binary_maps import gather_metrics
from sparsemask.evaluations._binary_maps import process_indices
from sparsemask.evaluations.dataset_boundaries import dataset_boundaries
from sparsemask.evaluations.edge_metrics import EdgeMetrics
from sparsemask.evaluations.predict_probabilities import \
    predict_probabilities


def evaluate_edges(model, dataset, scales=(1.0,), flip=False, pad_to=None,
                   thresholds=99, nms=True, max_dist=0.0075, comm=None,
                   progress=None):
    """Evaluates an edge model on a data set with the BSDS500 benchmark of
    pyEdgeEval (:class:`EdgeMetrics`): ODS, OIS, AP and R50, the metrics
    of the paper's Table 6.

    Each predicted edge map is thinned by the standard non-maximum
    suppression (``nms``) and compared at every threshold with every
    annotator's boundaries of the example (``get_boundaries``), matched
    within ``max_dist`` of the image diagonal. Under ChainerMN each process
    predicts the images ``rank, rank + size, ...`` and the per-image counts
    are gathered on every process.

    Args:
        model (~chainer.Link): a model with one output channel (see
            :func:`predict_probabilities`, which gives its sigmoid).
        dataset: an edge data set (examples ``(img, label)`` and
            ``get_boundaries(i)``), or a
            :class:`~chainer.datasets.SubDataset` of one.
        scales (sequence of float): see :func:`predict_probabilities`.
        flip (bool): see :func:`predict_probabilities`.
        pad_to (tuple of ints): see :func:`predict_probabilities`.
        thresholds (int or sequence of float): the number of thresholds
            (evenly spaced in (0, 1)) or the thresholds.
        nms (bool): apply the non-maximum suppression first.
        max_dist (float): the matching tolerance, a fraction of the
            diagonal (0.0075, BSDS500's).
        comm: a ChainerMN communicator, or None.
        progress (callable): called with ``(done, total)`` after each image
            of this process.

    Returns:
        dict: what :meth:`EdgeMetrics.result` returns.

    """
    metrics = EdgeMetrics(thresholds=thresholds, max_dist=max_dist,
                          nms=nms)
    indices = process_indices(dataset, comm)
    for done, i in enumerate(indices, 1):
        img, label = dataset[i]
        boundaries = dataset_boundaries(dataset, i)
        for b in boundaries:
            check_binary_label(b, img, i)
        prob = predict_probabilities(model, img, scales=scales, flip=flip,
                                     pad_to=pad_to)
        metrics.add(prob[0], boundaries)
        if progress is not None:
            progress(done, len(indices))
    return gather_metrics(metrics, comm).result()
