import tracemalloc

import numpy
import pytest

import chainer
from chainer import gradient_check
import chainer.functions as F
from chainer.utils import type_check

from sparsemask.functions import resize_bilinear
from sparsemask.functions.fdn_stage_plan import interpolation_matrix
from sparsemask.functions.resize_bilinear import _separable
from sparsemask.functions.resize_bilinear import ResizeBilinear
from tests.gpu_util import require_cupy

#: (input size, output size): upsampling, 1xW, Hx1, 1x1, downsampling,
#: the same size, one axis only, mixed, to 1x1, downsampling by a large
#: factor (bands of the transposed matrix without non-zeros), and sizes
#: that cut the matrices into several bands on the CPU
CASES = [
    ((5, 7), (17, 23)),
    ((1, 9), (4, 13)),
    ((8, 1), (13, 3)),
    ((1, 1), (6, 5)),
    ((17, 13), (6, 5)),
    ((6, 5), (6, 5)),
    ((6, 5), (6, 9)),
    ((6, 5), (2, 5)),
    ((5, 7), (9, 3)),
    ((4, 4), (1, 1)),
    ((7, 200), (3, 2)),
    ((40, 70), (101, 150)),
    ((150, 97), (37, 41)),
]
IDS = ['{}x{}-{}x{}'.format(*(a + b)) for a, b in CASES]


def _axis_reference(a, n_out, axis):
    # 1-D bilinear resizing with align_corners=True along an axis, float64
    n_in = a.shape[axis]
    s = numpy.linspace(0, n_in - 1, num=n_out)
    i0 = numpy.minimum(numpy.floor(s).astype(numpy.int64), n_in - 1)
    i1 = numpy.minimum(i0 + 1, n_in - 1)
    f = s - i0
    shape = [1] * a.ndim
    shape[axis] = n_out
    f = f.reshape(shape)
    return (numpy.take(a, i0, axis=axis) * (1 - f)
            + numpy.take(a, i1, axis=axis) * f)


def reference(x, size):
    """The forward pass, gathering the two neighbours of each output."""
    x = numpy.asarray(x, dtype=numpy.float64)
    return _axis_reference(_axis_reference(x, size[0], 2), size[1], 3)


def reference_grad(gy, in_size):
    """The backward pass: the transposed matrices, built from
    :func:`reference` on unit vectors."""
    gy = numpy.asarray(gy, dtype=numpy.float64)
    out_h, out_w = gy.shape[2:]
    ry = _axis_reference(numpy.eye(in_size[0]), out_h, 0)  # (out_h, h)
    rx = _axis_reference(numpy.eye(in_size[1]), out_w, 0)  # (out_w, w)
    return numpy.einsum('ph,ncpq,qw->nchw', ry, gy, rx)


def _data(in_size, out_size, dtype, seed=0, n=2, c=3):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, c, *in_size).astype(dtype)
    gy = rng.randn(n, c, *out_size).astype(dtype)
    return x, gy


def _forward_backward(f, x, gy, out_size):
    v = chainer.Variable(x.copy())
    y = f(v, out_size)
    y.grad = gy.copy()
    y.backward()
    return y.array, v.grad


@pytest.mark.parametrize('in_size,out_size', CASES, ids=IDS)
def test_matches_resize_images_float32(in_size, out_size):
    x, gy = _data(in_size, out_size, numpy.float32)
    y, gx = _forward_backward(resize_bilinear, x, gy, out_size)
    y_ref, gx_ref = _forward_backward(F.resize_images, x, gy, out_size)
    assert y.dtype == gx.dtype == numpy.float32
    assert y.shape == y_ref.shape and gx.shape == x.shape
    numpy.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(gx, gx_ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('in_size,out_size', CASES, ids=IDS)
@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
def test_matches_numpy_reference(in_size, out_size, dtype):
    x, gy = _data(in_size, out_size, dtype, seed=1)
    y, gx = _forward_backward(resize_bilinear, x, gy, out_size)
    assert y.dtype == gx.dtype == dtype
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == numpy.float64 else \
        dict(rtol=1e-5, atol=1e-5)
    numpy.testing.assert_allclose(y, reference(x, out_size), **tol)
    numpy.testing.assert_allclose(gx, reference_grad(gy, in_size), **tol)


@pytest.mark.parametrize('in_size,out_size', CASES, ids=IDS)
def test_float64_matches_resize_images(in_size, out_size):
    # F.resize_images is float32-only: its result in float32 against ours
    # in float64, on values exact in float32
    x, gy = _data(in_size, out_size, numpy.float32, seed=2)
    y, gx = _forward_backward(resize_bilinear, x.astype(numpy.float64),
                              gy.astype(numpy.float64), out_size)
    y_ref, gx_ref = _forward_backward(F.resize_images, x, gy, out_size)
    numpy.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(gx, gx_ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('in_size,out_size', [
    ((5, 7), (17, 23)), ((1, 1), (3, 4)), ((8, 1), (5, 3)),
    ((17, 13), (6, 5)), ((6, 5), (6, 9)), ((40, 70), (101, 150))])
def test_check_backward_and_double_backward(in_size, out_size):
    rng = numpy.random.RandomState(3)
    x = rng.randn(2, 2, *in_size)
    gy = rng.randn(2, 2, *out_size)
    ggx = rng.randn(*x.shape)
    gradient_check.check_backward(
        lambda x: resize_bilinear(x, out_size), x, gy, dtype=numpy.float64,
        atol=1e-7, rtol=1e-7)
    gradient_check.check_double_backward(
        lambda x: resize_bilinear(x, out_size), x, gy, ggx,
        dtype=numpy.float64, atol=1e-7, rtol=1e-7)


def test_second_order_gradient_is_the_forward():
    # the backward of the backward resizes like the forward
    x, gy = _data((5, 7), (9, 11), numpy.float64)
    ggx = numpy.random.RandomState(4).randn(*x.shape)
    v = chainer.Variable(x)
    y = resize_bilinear(v, (9, 11))
    gyv = chainer.Variable(gy)
    gx, = chainer.grad([y], [v], grad_outputs=[gyv],
                       enable_double_backprop=True)
    ggy, = chainer.grad([gx], [gyv], grad_outputs=[chainer.Variable(ggx)])
    numpy.testing.assert_allclose(ggy.array, reference(ggx, (9, 11)),
                                  rtol=1e-12, atol=1e-12)


def test_strided_input():
    # a view (crop, mirror) as the evaluation resizes
    x, _ = _data((11, 16), (5, 8), numpy.float32)
    view = x[:, :, 2:9, ::-2]
    y = resize_bilinear(view, (13, 17)).array
    numpy.testing.assert_allclose(
        y, reference(numpy.ascontiguousarray(view), (13, 17)),
        rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('in_size,out_size', CASES, ids=IDS)
def test_dense_path(in_size, out_size):
    # the GPU path's products, dense matrices, run here with NumPy
    x, _ = _data(in_size, out_size, numpy.float64)
    (h, w), (p, q) = in_size, out_size
    ry = interpolation_matrix(p, h, numpy.float64) if p != h else None
    rx_t = interpolation_matrix(q, w, numpy.float64).T if q != w else None
    y = _separable(numpy, x.reshape(-1, h, w), ry, rx_t)
    numpy.testing.assert_allclose(y.reshape((2, 3) + out_size),
                                  reference(x, out_size),
                                  rtol=1e-12, atol=1e-12)


def _backward_peak(f, x, gy, out_size):
    v = chainer.Variable(x)
    y = f(v, out_size)
    y.grad = gy
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        y.backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - before


def test_backward_allocates_little_more_than_the_gradient(record_property):
    # training's final resize (batch 2, crop 321): NumPy's allocations are
    # traced by tracemalloc, so the peak is exact and not timed
    x, gy = _data((81, 81), (321, 321), numpy.float32, n=2, c=21)
    bound = 4 * (x.nbytes + gy.nbytes)
    ours = _backward_peak(resize_bilinear, x, gy, (321, 321))
    stock = _backward_peak(F.resize_images, x, gy, (321, 321))
    record_property('peak_bytes', {'resize_bilinear': ours,
                                   'resize_images': stock,
                                   'gx_plus_gy': x.nbytes + gy.nbytes})
    print('backward peak: resize_bilinear {:.1f} MB, F.resize_images '
          '{:.1f} MB, gx + gy {:.1f} MB'.format(
              ours / 2 ** 20, stock / 2 ** 20,
              (x.nbytes + gy.nbytes) / 2 ** 20))
    assert ours <= bound


def test_stock_functions_switch():
    x, _ = _data((5, 7), (9, 11), numpy.float32)
    y = resize_bilinear(x, (9, 11))
    assert isinstance(y.creator, ResizeBilinear)
    with chainer.using_config('stock_functions', True):
        stock = resize_bilinear(x, (9, 11))
    assert type(stock.creator).__name__ == 'ResizeImages'
    numpy.testing.assert_allclose(y.array, stock.array, rtol=1e-5,
                                  atol=1e-6)


@pytest.mark.parametrize('shape', [(3,), (0, 4), (4, -1), (2.5, 3),
                                   (1, 2, 3)])
def test_invalid_output_shape(shape):
    with pytest.raises(ValueError, match='output_shape'):
        resize_bilinear(numpy.zeros((1, 1, 2, 2), numpy.float32), shape)


@pytest.mark.parametrize('x', [numpy.zeros((1, 1, 2, 2), numpy.int32),
                               numpy.zeros((1, 2, 2), numpy.float32)])
def test_invalid_input(x):
    with pytest.raises(type_check.InvalidType):
        resize_bilinear(x, (3, 3))


@pytest.mark.gpu
@pytest.mark.parametrize('in_size,out_size', CASES, ids=IDS)
@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
def test_gpu_matches_cpu(request, in_size, out_size, dtype):
    cupy = require_cupy(request.config)
    x, gy = _data(in_size, out_size, dtype, seed=5)
    y, gx = _forward_backward(resize_bilinear, x, gy, out_size)
    v = chainer.Variable(cupy.asarray(x))
    y_gpu = resize_bilinear(v, out_size)
    y_gpu.grad = cupy.asarray(gy)
    y_gpu.backward()
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == numpy.float64 else \
        dict(rtol=1e-5, atol=1e-5)
    numpy.testing.assert_allclose(cupy.asnumpy(y_gpu.array), y, **tol)
    numpy.testing.assert_allclose(cupy.asnumpy(v.grad), gx, **tol)
