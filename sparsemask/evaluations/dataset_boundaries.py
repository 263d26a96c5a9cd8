import chainer


def dataset_boundaries(dataset, i):
    """The annotators' boundary maps of example ``i`` of an edge data set,
    through any :class:`chainer.datasets.SubDataset` around it (a
    validation set cut by ``dataset.n_val_images`` or ``dataset.holdout``).

    Args:
        dataset: an edge data set (with ``get_boundaries(i)``, e.g.
            :class:`~sparsemask.datasets.BSDS500EdgeDataset`), or a
            :class:`~chainer.datasets.SubDataset` of one.
        i (int): the index in ``dataset``.

    Returns:
        list of numpy.ndarray: one uint8 ``(H, W)`` map of 0 and 1 per
        annotator.

    Raises:
        ValueError: when the data set has no boundary maps.

    """
    while isinstance(dataset, chainer.datasets.SubDataset):
        if not 0 <= i < len(dataset):
            raise IndexError('index {} out of range for {} examples'.format(
                i, len(dataset)))
        # (the private fields are SubDataset's since Chainer 1)
        order = dataset._order
        i = dataset._start + i
        if order is not None:
            i = order[i]
        dataset = dataset._dataset
    if not hasattr(dataset, 'get_boundaries'):
        raise ValueError(
            '{} has no boundary maps (get_boundaries): the edge task needs '
            'an edge data set (bsds500, or synthetic with task: '
            'edge)'.format(type(dataset).__name__))
    return dataset.get_boundaries(i)
