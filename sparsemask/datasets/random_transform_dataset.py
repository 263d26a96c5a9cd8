import numpy

import chainer


class RandomTransformDataset(chainer.dataset.DatasetMixin):
    """Applies a random transform whose randomness is a pure function of
    ``(seed, epoch, index)``.

    Used with :class:`sparsemask.iterators.EpochShuffleOrderSampler`, whose
    orders carry the epoch: the iterator asks for ``epoch * n + i`` and this
    data set transforms example ``i`` with a
    :class:`numpy.random.RandomState` seeded by ``(seed, epoch, i)``. The
    stream of training examples then depends only on the seed and on the
    iterator's serialised position, so that a run resumed from a snapshot
    sees exactly the examples, crops and flips of an uninterrupted one, with
    :class:`chainer.iterators.SerialIterator` and
    :class:`chainer.iterators.MultiprocessIterator` alike. Plain indices
    ``0 <= i < n`` are epoch 0.

    Args:
        dataset: the base data set.
        transform (callable): ``transform(example, rng)``.
        seed (int): the seed of all randomness; give each ChainerMN
            process its own.

    """

    def __init__(self, dataset, transform, seed=0):
        self._dataset = dataset
        self._transform = transform
        self._seed = int(seed)

    def __len__(self):
        return len(self._dataset)

    def get_example(self, index):
        index = int(index)
        n = len(self._dataset)
        if index < 0:
            raise IndexError('negative index {} (epoch-encoded indices are '
                             'non-negative)'.format(index))
        epoch, i = divmod(index, n)
        rng = numpy.random.RandomState([self._seed, epoch, i])
        return self._transform(self._dataset[i], rng)
