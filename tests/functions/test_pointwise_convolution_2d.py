import importlib

import numpy
import pytest

import chainer
import chainer.functions as F
from chainer import gradient_check
from chainer.utils import type_check

from sparsemask.functions import pointwise_convolution_2d
from sparsemask.functions.pointwise_convolution_2d import \
    PointwiseConvolution2D

module = importlib.import_module(
    'sparsemask.functions.pointwise_convolution_2d')


def make(rng, N, C_in, C_out, size, dtype, bias):
    x = rng.randn(N, C_in, *size).astype(dtype)
    W = rng.randn(C_out, C_in, 1, 1).astype(dtype)
    b = rng.randn(C_out).astype(dtype) if bias else None
    return x, W, b


def grads(fn, x, W, b, gy):
    xv, Wv = chainer.Variable(x), chainer.Variable(W)
    bv = None if b is None else chainer.Variable(b)
    y = fn(xv, Wv, bv)
    y.grad = gy
    y.backward()
    out = {'y': y.array, 'gx': xv.grad, 'gW': Wv.grad}
    if b is not None:
        out['gb'] = bv.grad
    return out


@pytest.mark.parametrize('N', [1, 2])
@pytest.mark.parametrize('size', [(7, 9), (13, 11), (1, 1)])
@pytest.mark.parametrize('bias', [False, True])
@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
@pytest.mark.parametrize('channels', [(6, 5), (3, 8)])
def test_matches_chainer_convolution(N, size, bias, dtype, channels):
    # fewer output channels (the bias added) and more (the bias a column
    # of the weight times a row of ones)
    rng = numpy.random.RandomState(N + sum(size))
    x, W, b = make(rng, N, channels[0], channels[1], size, dtype, bias)
    gy = rng.randn(N, channels[1], *size).astype(dtype)
    ref = grads(F.convolution_2d, x, W, b, gy)
    got = grads(pointwise_convolution_2d, x, W, b, gy)
    assert got['y'].flags.c_contiguous
    # float64: the reference itself
    expected = numpy.einsum('oi,nihw->nohw', W[:, :, 0, 0].astype(
        numpy.float64), x)
    if bias:
        expected += b[:, None, None]
    t = dict(rtol=1e-5, atol=1e-5) if dtype == numpy.float32 else \
        dict(rtol=1e-12, atol=1e-12)
    numpy.testing.assert_allclose(got['y'], expected, **t)
    for key in ref:
        assert got[key].dtype == dtype
        numpy.testing.assert_allclose(got[key], ref[key], err_msg=key, **t)


@pytest.mark.parametrize('C_out,bias', [(4, False), (4, True), (9, True)])
def test_channels_last_input(C_out, bias):
    # Chainer's convolutions return channels-last arrays; they are read as
    # they are
    rng = numpy.random.RandomState(0)
    x = rng.randn(2, 9, 11, 6).astype(numpy.float32).transpose(0, 3, 1, 2)
    W = rng.randn(C_out, 6, 1, 1).astype(numpy.float32)
    b = rng.randn(C_out).astype(numpy.float32) if bias else None
    gy = rng.randn(2, C_out, 9, 11).astype(numpy.float32)
    ref = grads(F.convolution_2d, x, W, b, gy)
    got = grads(pointwise_convolution_2d, x, W, b, gy)
    for key in ref:
        numpy.testing.assert_allclose(got[key], ref[key], rtol=1e-5,
                                      atol=1e-5, err_msg=key)


@pytest.mark.parametrize('N', [1, 2])
@pytest.mark.parametrize('bias', [False, True])
def test_check_backward_float64(N, bias):
    rng = numpy.random.RandomState(N)
    x, W, b = make(rng, N, 3, 4, (5, 6), numpy.float64, bias)
    gy = rng.randn(N, 4, 5, 6)
    inputs = (x, W) if b is None else (x, W, b)
    gradient_check.check_backward(pointwise_convolution_2d, inputs, gy,
                                  dtype=numpy.float64, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize('N', [1, 2])
def test_check_double_backward_float64(N):
    rng = numpy.random.RandomState(N)
    x, W, b = make(rng, N, 3, 4, (5, 6), numpy.float64, True)
    gy = rng.randn(N, 4, 5, 6)

    def f(*args):
        y = pointwise_convolution_2d(*args)
        return y * y

    gradient_check.check_double_backward(
        f, (x, W, b), gy,
        (rng.randn(*x.shape), rng.randn(*W.shape), rng.randn(4)),
        dtype=numpy.float64, atol=1e-6, rtol=1e-6)


def test_function_node_on_cpu():
    rng = numpy.random.RandomState(0)
    x, W, _ = make(rng, 1, 3, 2, (4, 4), numpy.float32, False)
    y = pointwise_convolution_2d(x, W)
    assert isinstance(y.creator, PointwiseConvolution2D)


def test_other_arrays_use_chainer_convolution(monkeypatch):
    # the path of CuPy arrays (cuDNN), taken here with NumPy arrays
    monkeypatch.setattr(module, '_is_cpu', lambda array: False)
    rng = numpy.random.RandomState(0)
    x, W, b = make(rng, 2, 3, 2, (4, 5), numpy.float64, True)
    y = pointwise_convolution_2d(x, W, b)
    assert y.creator.label == 'Convolution2DFunction'
    numpy.testing.assert_allclose(
        y.array, F.convolution_2d(x, W, b).array, rtol=1e-12)


def test_stock_functions_switch():
    rng = numpy.random.RandomState(0)
    x, W, b = make(rng, 1, 3, 2, (4, 5), numpy.float64, True)
    with chainer.using_config('stock_functions', True):
        y = pointwise_convolution_2d(x, W, b)
    assert y.creator.label == 'Convolution2DFunction'
    numpy.testing.assert_allclose(
        y.array, pointwise_convolution_2d(x, W, b).array, rtol=1e-12)


@pytest.mark.parametrize('backprop', [True, False])
def test_errors(backprop):
    # with a graph (FunctionNode type checks) and without (the same
    # checks on the arrays)
    with chainer.using_config('enable_backprop', backprop):
        _errors()


def _errors():
    x = numpy.zeros((1, 3, 4, 4), numpy.float32)
    with pytest.raises(type_check.InvalidType):
        pointwise_convolution_2d(x, numpy.zeros((2, 3, 3, 3), numpy.float32))
    with pytest.raises(type_check.InvalidType):
        pointwise_convolution_2d(x, numpy.zeros((2, 4, 1, 1), numpy.float32))
    with pytest.raises(type_check.InvalidType):
        pointwise_convolution_2d(x, numpy.zeros((2, 3, 1, 1), numpy.float64))


@pytest.mark.filterwarnings(
    'ignore:external_converters is experimental:FutureWarning')
@pytest.mark.parametrize('bias', [False, True])
def test_onnx_conv(bias):
    onnx = pytest.importorskip('onnx')
    onnxruntime = pytest.importorskip('onnxruntime')
    import onnx_chainer
    from sparsemask.export import external_converters

    rng = numpy.random.RandomState(0)
    x, W, b = make(rng, 2, 6, 5, (7, 9), numpy.float32, bias)
    model = chainer.Sequential(lambda x: pointwise_convolution_2d(x, W, b))
    onnx_model = onnx_chainer.export(
        model, x, opset_version=11,
        external_converters=external_converters())
    onnx.checker.check_model(onnx_model)
    nodes = [n for n in onnx_model.graph.node if n.op_type != 'Constant']
    assert [n.op_type for n in nodes] == ['Conv']
    assert len(nodes[0].input) == (3 if bias else 2)
    attrs = {a.name: onnx.helper.get_attribute_value(a)
             for a in nodes[0].attribute}
    assert attrs['kernel_shape'] == [1, 1] and attrs['group'] == 1
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    y = session.run(None, {name: x})[0]
    numpy.testing.assert_allclose(y, model(x).array, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('bias', [False, True])
def test_without_a_graph(bias):
    # no backprop: the forward alone, the same output, no creator
    rng = numpy.random.RandomState(5)
    x = rng.randn(2, 4, 7, 6).astype(numpy.float32)
    W = rng.randn(5, 4, 1, 1).astype(numpy.float32)
    b = rng.randn(5).astype(numpy.float32) if bias else None
    y = pointwise_convolution_2d(x, W, b)
    with chainer.no_backprop_mode():
        y_nograph = pointwise_convolution_2d(x, W, b)
    assert y.creator is not None and y_nograph.creator is None
    assert not y_nograph.requires_grad
    numpy.testing.assert_array_equal(y_nograph.array, y.array)
