import numpy
import pytest

import chainer
from chainer import gradient_check

from sparsemask import default_alpha
from sparsemask import sparse_loss


def _eq2_float64(w, alpha):
    # Paper Eq. 2, evaluated independently in float64.
    w = numpy.asarray(w, dtype=numpy.float64)

    def lm(p, q):
        return -p * numpy.log(q) - (1 - p) * numpy.log(1 - q)
    return lm(w, w).mean() + lm(alpha, w.mean())


@pytest.mark.parametrize('n', [1, 2, 3, 4, 10, 18])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_value_matches_eq2_in_float64(n, seed):
    rng = numpy.random.RandomState(seed)
    w = rng.uniform(0.01, 0.99, n).astype(numpy.float32)
    alpha = default_alpha(n)
    got = sparse_loss(w, alpha).array
    assert got.shape == ()
    assert abs(float(got) - _eq2_float64(w, alpha)) < 1e-6 * max(
        1.0, abs(_eq2_float64(w, alpha)))


@pytest.mark.parametrize('n', [1, 3, 18])
def test_gradient(n):
    rng = numpy.random.RandomState(n)
    w = rng.uniform(0.05, 0.95, n)
    alpha = default_alpha(n)
    gradient_check.check_backward(
        lambda w: sparse_loss(w, alpha), w, numpy.array(1.0),
        dtype=numpy.float64, eps=1e-6, atol=1e-5, rtol=1e-4)


def test_gradient_matches_closed_form():
    # d/dw_k = (1/n) log((1 - w_k) / w_k) + (1/n)(-alpha/m + (1-alpha)/(1-m))
    w = numpy.array([0.2, 0.7, 0.4], dtype=numpy.float64)
    alpha = 0.3
    v = chainer.Variable(w.copy())
    sparse_loss(v, alpha).backward()
    n, m = len(w), w.mean()
    expected = numpy.log((1 - w) / w) / n \
        + (-alpha / m + (1 - alpha) / (1 - m)) / n
    numpy.testing.assert_allclose(v.grad, expected, rtol=1e-10)


@pytest.mark.parametrize('w', [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0],
                               [0.0, 1.0, 0.5], [1.0, 0.0]])
@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
def test_finite_at_zero_and_one(w, dtype):
    v = chainer.Variable(numpy.array(w, dtype=dtype))
    loss = sparse_loss(v, default_alpha(len(w)))
    loss.backward()
    assert numpy.isfinite(loss.array)
    assert numpy.all(numpy.isfinite(v.grad))


def test_binary_weights_have_zero_binary_term():
    # With w binary the first term vanishes; with mean(w) == alpha the
    # second term is the entropy of alpha, its minimum.
    w = numpy.array([1, 0, 0, 0], dtype=numpy.float64)
    alpha = 0.25
    entropy = -alpha * numpy.log(alpha) - (1 - alpha) * numpy.log(1 - alpha)
    assert abs(float(sparse_loss(w, alpha).array) - entropy) < 1e-5


def test_loss_prefers_sparse_binary_weights():
    alpha = default_alpha(6)
    sparse = numpy.array([1, 1, 0, 0, 0, 0], dtype=numpy.float64)
    dense = numpy.full(6, 0.5)
    assert sparse_loss(sparse, alpha).array < sparse_loss(dense, alpha).array


@pytest.mark.parametrize('n, alpha', [(1, 0.5), (2, 0.5), (3, 0.5),
                                      (4, 0.5), (5, 0.4), (18, 2 / 18.)])
def test_default_alpha_eq5(n, alpha):
    assert default_alpha(n) == pytest.approx(alpha)


def test_default_alpha_rejects_empty_stage():
    with pytest.raises(ValueError, match='n=0'):
        default_alpha(0)
