import numpy
import pytest

import chainer
from chainer import gradient_check
import chainer.functions as F

from sparsemask.functions import balanced_sigmoid_cross_entropy


def _reference(x, t, normalize):
    # HED (Xie and Tu 2015), Eq. 2, per image, in float64
    x = x.astype(numpy.float64).reshape(len(x), -1)
    t = t.reshape(len(t), -1)
    total = 0.0
    for xi, ti in zip(x, t):
        pos, neg = ti == 1, ti == 0
        beta = neg.sum() / max(pos.sum() + neg.sum(), 1)
        log_p = -numpy.log1p(numpy.exp(-xi))        # log sigmoid(x)
        log_q = -numpy.log1p(numpy.exp(xi))         # log (1 - sigmoid(x))
        loss = -beta * log_p[pos].sum() - (1 - beta) * log_q[neg].sum()
        if normalize:
            loss /= max(pos.sum() + neg.sum(), 1)
        total += loss
    return total / len(x)


def _data(shape, seed=0, ignored=True):
    rng = numpy.random.RandomState(seed)
    x = rng.normal(0, 2, shape).astype(numpy.float32)
    t = (rng.uniform(size=shape) < 0.15).astype(numpy.int32)
    if ignored:
        t[rng.uniform(size=shape) < 0.2] = -1
    return x, t


@pytest.mark.parametrize('normalize', [True, False])
@pytest.mark.parametrize('shape', [(3, 5, 7), (2, 1, 6, 4)])
def test_equals_hed_formula_in_float64(normalize, shape):
    x, t = _data(shape)
    loss = balanced_sigmoid_cross_entropy(x, t, normalize=normalize)
    assert loss.shape == ()
    numpy.testing.assert_allclose(float(loss.array),
                                  _reference(x, t, normalize), rtol=1e-5)


def test_beta_is_per_image():
    # the same pixels in two images with different edge fractions: the
    # loss of the pair is the mean of the two alone, not a batch-wide beta
    x, t = _data((2, 6, 6), ignored=False)
    t[1] = 0
    t[1, :3] = 1
    both = float(balanced_sigmoid_cross_entropy(x, t).array)
    alone = [float(balanced_sigmoid_cross_entropy(x[i:i + 1], t[i:i + 1])
                   .array) for i in range(2)]
    numpy.testing.assert_allclose(both, numpy.mean(alone), rtol=1e-6)


def test_rare_edges_weigh_as_much_as_the_background():
    # beta balances the classes: a logit error on the few edge pixels costs
    # as much in all as the same error on the many non-edge pixels
    t = numpy.zeros((1, 10, 10), dtype=numpy.int32)
    t[0, 0, :5] = 1
    x_missed_edges = numpy.where(t == 1, -3.0, -30.0).astype(numpy.float32)
    x_false_edges = numpy.where(t == 1, 30.0, 3.0).astype(numpy.float32)
    missed = float(balanced_sigmoid_cross_entropy(x_missed_edges, t).array)
    false = float(balanced_sigmoid_cross_entropy(x_false_edges, t).array)
    numpy.testing.assert_allclose(missed, false, rtol=1e-4)
    plain_missed = float(F.sigmoid_cross_entropy(x_missed_edges, t).array)
    plain_false = float(F.sigmoid_cross_entropy(x_false_edges, t).array)
    assert plain_false > 10 * plain_missed


def test_ignored_pixels_do_not_matter():
    x, t = _data((2, 5, 5))
    y = x.copy()
    y[t == -1] = 100.0
    numpy.testing.assert_allclose(
        balanced_sigmoid_cross_entropy(x, t).array,
        balanced_sigmoid_cross_entropy(y, t).array, rtol=1e-6)


def test_an_image_with_every_pixel_ignored_adds_nothing():
    x, t = _data((2, 4, 4))
    t[1] = -1
    numpy.testing.assert_allclose(
        float(balanced_sigmoid_cross_entropy(x, t).array),
        float(balanced_sigmoid_cross_entropy(x[:1], t[:1]).array) / 2,
        rtol=1e-6)


@pytest.mark.parametrize('normalize', [True, False])
def test_gradient(normalize):
    x, t = _data((2, 1, 4, 5), seed=1)
    x = x.astype(numpy.float64)
    gradient_check.check_backward(
        lambda x: balanced_sigmoid_cross_entropy(x, t, normalize=normalize),
        x, numpy.array(1.0), dtype=numpy.float64, atol=1e-5, rtol=1e-4)


def test_shape_mismatch_is_named():
    x, t = _data((2, 4, 4))
    with pytest.raises(ValueError, match='16 values per image and the '
                                         'labels 12'):
        balanced_sigmoid_cross_entropy(x, t[:, :3])


def test_variable_input():
    x, t = _data((1, 3, 3))
    v = chainer.Variable(x)
    loss = balanced_sigmoid_cross_entropy(v, t)
    loss.backward()
    assert v.grad.shape == x.shape and numpy.isfinite(v.grad).all()
