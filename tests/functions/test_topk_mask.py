import numpy
import pytest

from sparsemask.functions import topk_mask


def top(w, k):
    # independent reference: rank by (-value, index)
    ranked = sorted(range(len(w)), key=lambda t: (-float(w[t]), t))
    return sorted(ranked[:k])


@pytest.mark.parametrize('n', [1, 2, 5, 18])
@pytest.mark.parametrize('k', [1, 2, 3, 20])
@pytest.mark.parametrize('seed', [0, 1])
def test_mask_of_the_k_largest(n, k, seed):
    rng = numpy.random.RandomState(seed)
    # few distinct values, so that there are ties
    w = rng.randint(0, 4, n).astype(numpy.float32) / 4
    mask = topk_mask(w, k)
    assert mask.dtype == w.dtype and mask.shape == (n,)
    assert sorted(numpy.nonzero(mask)[0].tolist()) == top(w, k)
    assert mask.sum() == min(k, n)
    assert set(mask.tolist()) <= {0.0, 1.0}


def test_ties_go_to_the_earlier_input():
    w = numpy.array([0.5, 0.9, 0.5, 0.5], dtype=numpy.float32)
    assert topk_mask(w, 2).tolist() == [1, 1, 0, 0]
    assert topk_mask(w, 3).tolist() == [1, 1, 1, 0]


@pytest.mark.parametrize('k', [0, -2, 1.5, True])
def test_bad_k(k):
    with pytest.raises(ValueError, match='positive integer'):
        topk_mask(numpy.ones(3, numpy.float32), k)


def test_bad_shape():
    with pytest.raises(ValueError, match='one-dimensional'):
        topk_mask(numpy.ones((2, 3), numpy.float32), 1)
