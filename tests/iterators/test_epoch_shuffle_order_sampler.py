import copy

import numpy

import chainer

from sparsemask.datasets.random_transform_dataset import \
    RandomTransformDataset
from sparsemask.iterators import EpochShuffleOrderSampler


def draw(iterator, n):
    return [[int(x) for x in iterator.next()] for _ in range(n)]


class Identity(object):
    def __getitem__(self, i):
        return i

    def __len__(self):
        return 5


def record(example, rng):
    return example, int(rng.randint(1 << 30))


def test_each_epoch_is_a_permutation_and_epochs_differ():
    sampler = EpochShuffleOrderSampler(seed=3)
    data = RandomTransformDataset(Identity(), record, seed=0)
    it = chainer.iterators.SerialIterator(data, 5, order_sampler=sampler)
    epochs = [it.next() for _ in range(4)]
    orders = [[i for i, _ in e] for e in epochs]
    for order in orders:
        assert sorted(order) == list(range(5))
    assert len({tuple(o) for o in orders}) > 1
    # the transform's randomness differs between epochs for one example
    draws = [dict(e) for e in epochs]
    assert draws[0][0] != draws[1][0]


def test_serialized_iterator_continues_identically():
    def make():
        data = RandomTransformDataset(Identity(), record, seed=7)
        return chainer.iterators.SerialIterator(
            data, 2, order_sampler=EpochShuffleOrderSampler(seed=1))

    full = make()
    expected = [full.next() for _ in range(9)]

    it = make()
    first = [it.next() for _ in range(4)]   # mid-epoch (8 of 10 ... )
    target = {}
    serializer = chainer.serializers.DictionarySerializer(target)
    it.serialize(serializer)
    resumed = make()
    resumed.serialize(chainer.serializers.NpzDeserializer(
        {k: numpy.asarray(v) for k, v in copy.deepcopy(target).items()}))
    rest = [resumed.next() for _ in range(5)]
    assert first + rest == expected


def test_same_seed_same_stream_other_seed_other_stream():
    def stream(seed):
        data = RandomTransformDataset(Identity(), record, seed=0)
        it = chainer.iterators.SerialIterator(
            data, 5, order_sampler=EpochShuffleOrderSampler(seed))
        return [it.next() for _ in range(3)]

    assert stream(0) == stream(0)
    assert stream(0) != stream(1)


def test_plain_indices_are_epoch_zero():
    data = RandomTransformDataset(Identity(), record, seed=0)
    assert data[3] == data[3] and data[3][0] == 3
    assert data[3 + 5][0] == 3 and data[3 + 5] != data[3]


def test_multiprocess_iterator_gives_the_same_stream():
    def make(cls, **kwargs):
        data = RandomTransformDataset(Identity(), record, seed=2)
        return cls(data, 2, order_sampler=EpochShuffleOrderSampler(seed=4),
                   **kwargs)

    serial = make(chainer.iterators.SerialIterator)
    multi = make(chainer.iterators.MultiprocessIterator, n_processes=2)
    try:
        assert [multi.next() for _ in range(7)] == \
            [serial.next() for _ in range(7)]
    finally:
        multi.finalize()
