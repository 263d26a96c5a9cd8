import chainer.links as L


def batch_normalization(size, bn_kwargs):
    """Builds a batch normalization link; a multi-node one under ChainerMN.

    Args:
        size (int): the number of channels.
        bn_kwargs (dict): keyword arguments of
            :class:`chainer.links.BatchNormalization`. With a key ``comm``
            (a ChainerMN communicator),
            :class:`chainermn.links.MultiNodeBatchNormalization` is built
            instead, as ChainerCV does.

    Returns:
        ~chainer.Link

    """
    kwargs = dict(bn_kwargs or {})
    if 'comm' in kwargs:
        from chainermn.links import MultiNodeBatchNormalization
        comm = kwargs.pop('comm')
        return MultiNodeBatchNormalization(size, comm, **kwargs)
    return L.BatchNormalization(size, **kwargs)
