import numpy
import pytest

import chainer
from chainer import gradient_check

from sparsemask.functions import fdn_stage
from sparsemask.functions.fdn_stage import interpolation_matrix
from tests.functions.fdn_stage_cases import assert_close
from tests.functions.fdn_stage_cases import CASES
from tests.functions.fdn_stage_cases import degenerate_keys
from tests.functions.fdn_stage_cases import FIXED
from tests.functions.fdn_stage_cases import make_stage
from tests.functions.fdn_stage_cases import random_case
from tests.functions.fdn_stage_cases import run


def _cases():
    out = [('fixed{}'.format(i),) + c for i, c in enumerate(FIXED)]
    for seed in CASES:
        batch, shapes, size, _ = random_case(seed)
        out.append(('seed{}'.format(seed), batch, shapes, size))
    return out


@pytest.mark.parametrize('name, batch, shapes, size', _cases())
@pytest.mark.parametrize('weighted', [True, False])
@pytest.mark.parametrize('train', [True, False])
def test_numpy_path_matches_stock_functions(name, batch, shapes, size,
                                            weighted, train):
    numpy.random.seed(len(name) + batch)  # chainer's initializers
    rng = numpy.random.RandomState(len(name) + batch)
    stock = make_stage(shapes, 6, weighted, False, rng)
    fused = make_stage(shapes, 6, weighted, True, rng)
    fused.copyparams(stock)
    if weighted:
        for t in range(len(shapes)):
            for attr in ('avg_mean', 'avg_var'):
                getattr(fused['bn{}'.format(t)], attr)[:] = getattr(
                    stock['bn{}'.format(t)], attr)
    xs = [rng.randn(batch, c, h, w).astype(numpy.float32)
          for c, h, w in shapes]
    gy = rng.randn(batch, 6, *size).astype(numpy.float32)
    ref = run(stock, xs, gy, size, train)
    got = run(fused, xs, gy, size, train)
    assert got['y'].shape == (batch, 6) + size
    assert_close(ref, got, loose=degenerate_keys(batch, shapes, weighted,
                                                 train))


@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('normalize', [True, False])
def test_gradient_check_float64(train, normalize):
    rng = numpy.random.RandomState(0)
    shapes = [(3, 4, 5), (2, 1, 1), (2, 7, 6), (3, 2, 3)]
    size = (7, 6)
    T, C = len(shapes), 3
    xs = [rng.randn(3, c, h, w) for c, h, w in shapes]
    Ws = [rng.randn(C, c) for c, _, _ in shapes]
    gamma = rng.uniform(0.5, 1.5, (T, C))
    beta = rng.uniform(-1, 1, (T, C))
    w = rng.uniform(0.1, 0.9, T)
    mean = rng.uniform(-1, 1, (T, C))
    var = rng.uniform(0.5, 2, (T, C))
    gy = rng.randn(3, C, *size)

    def f(*args):
        return fdn_stage(list(args[:T]), list(args[T:2 * T]), size,
                         args[2 * T], args[2 * T + 1], args[2 * T + 2],
                         normalize=normalize, running_mean=mean.copy(),
                         running_var=var.copy())
    with chainer.using_config('train', train):
        gradient_check.check_backward(
            f, tuple(xs + Ws + [gamma, beta, w]), gy, dtype=numpy.float64,
            atol=1e-6, rtol=1e-5, no_grads=(
                [False] * (2 * T) + [not normalize] * 2 + [False]))


def test_running_statistics_follow_batch_normalization():
    rng = numpy.random.RandomState(3)
    shapes = [(3, 5, 5), (2, 1, 1)]
    stock = make_stage(shapes, 4, True, False, rng)
    fused = make_stage(shapes, 4, True, True, rng)
    fused.copyparams(stock)
    xs = [rng.randn(2, c, h, w).astype(numpy.float32) for c, h, w in shapes]
    for _ in range(3):
        with chainer.using_config('train', True):
            stock([chainer.Variable(x) for x in xs], (5, 5))
            fused([chainer.Variable(x) for x in xs], (5, 5))
    for t in range(2):
        for attr in ('avg_mean', 'avg_var'):
            numpy.testing.assert_allclose(
                getattr(fused['bn{}'.format(t)], attr),
                getattr(stock['bn{}'.format(t)], attr), rtol=1e-5, atol=1e-6)


def test_test_mode_needs_running_statistics():
    x = numpy.ones((1, 2, 3, 3), numpy.float32)
    W = numpy.ones((4, 2), numpy.float32)
    with chainer.using_config('train', False):
        with pytest.raises(ValueError, match='running_mean'):
            fdn_stage([x], [W], (3, 3))


def test_type_errors_name_the_argument():
    x = numpy.ones((1, 2, 3, 3), numpy.float32)
    W = numpy.ones((4, 3), numpy.float32)  # wrong input channels
    with pytest.raises(chainer.utils.type_check.InvalidType, match='W0'):
        fdn_stage([x], [W], (3, 3))


@pytest.mark.parametrize('n_out, n_in', [(7, 3), (9, 9), (5, 1), (1, 4),
                                         (257, 129), (17, 9)])
def test_interpolation_matrix_matches_resize_images(n_out, n_in):
    m = interpolation_matrix(n_out, n_in)
    numpy.testing.assert_allclose(m.sum(axis=1), 1, rtol=1e-6)
    x = numpy.random.RandomState(0).randn(1, 1, n_in, 1).astype(numpy.float32)
    x = numpy.repeat(x, 2, axis=3)
    y = chainer.functions.resize_images(x, (n_out, 2)).array[0, 0, :, 0]
    numpy.testing.assert_allclose(m @ x[0, 0, :, 0], y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('w_kind', ['none', 'array', 'variable',
                                    'constant_variable'])
def test_retrain_mode_keeps_nothing_for_w(w_kind):
    # without BN, the 1x1 convolutions' outputs serve only the gradient of
    # w: kept only when w is a variable that requires one
    rng = numpy.random.RandomState(1)
    shapes = [(3, 4, 5), (2, 1, 1), (2, 7, 6)]
    size = (7, 6)
    xs = [chainer.Variable(rng.randn(2, c, h, w).astype(numpy.float32))
          for c, h, w in shapes]
    Ws = [chainer.Variable(rng.randn(3, c).astype(numpy.float32))
          for c, _, _ in shapes]
    ones = numpy.ones(len(shapes), numpy.float32)
    w = {'none': None, 'array': ones, 'variable': chainer.Variable(ones),
         'constant_variable': chainer.Variable(ones, requires_grad=False)
         }[w_kind]
    y = fdn_stage(xs, Ws, size, w=w, normalize=False)
    node = y.creator
    assert (node.zs is not None) == (w_kind == 'variable')
    gy = rng.randn(*y.shape).astype(numpy.float32)
    y.grad = gy
    y.backward()
    # the same gradients as the stock functions
    for x, W in zip(xs, Ws):
        xv = chainer.Variable(x.array)
        Wv = chainer.Variable(W.array)
        h = chainer.functions.convolution_2d(
            xv, chainer.functions.reshape(Wv, Wv.shape + (1, 1)))
        if h.shape[2:] != size:
            h = chainer.functions.resize_images(h, size)
        h.grad = gy
        h.backward()
        numpy.testing.assert_allclose(x.grad, xv.grad, rtol=1e-4, atol=1e-4)
        numpy.testing.assert_allclose(W.grad, Wv.grad, rtol=1e-4, atol=1e-4)
    if w_kind == 'variable':
        assert w.grad is not None and w.grad.shape == (len(shapes),)
