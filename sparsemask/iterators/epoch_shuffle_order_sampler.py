import numpy

from chainer.iterators import OrderSampler


class EpochShuffleOrderSampler(OrderSampler):
    """Shuffles each epoch with a permutation seeded by ``(seed, epoch)``
    and encodes the epoch in the order.

    The order of epoch ``e`` (counted from 1) over ``n`` examples is
    ``permutation + e * n``, for
    :class:`sparsemask.datasets.RandomTransformDataset` to decode. The
    sampler keeps no state: the next epoch is read off the current order,
    which the iterator saves in its snapshot, so that a resumed run draws
    the same orders as an uninterrupted one (a stock
    :class:`~chainer.iterators.ShuffleOrderSampler`'s random state is not in
    the snapshot).

    Args:
        seed (int): the seed.

    """

    def __init__(self, seed=0):
        self._seed = int(seed)

    def __call__(self, current_order, current_position):
        n = len(current_order)
        if n == 0:
            return numpy.zeros(0, dtype=numpy.int64)
        epoch = int(current_order[0]) // n + 1
        rng = numpy.random.RandomState([self._seed, epoch])
        return rng.permutation(n).astype(numpy.int64) + epoch * n
