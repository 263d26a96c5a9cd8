import importlib
import itertools

import numpy
import pytest

import chainer
import chainer.functions as F
from chainer import gradient_check
from chainer.utils import type_check

from sparsemask.backbones._tf_conv import tf_same_pad
from sparsemask.functions import depthwise_convolution_2d
from sparsemask.functions.depthwise_convolution_2d import \
    DepthwiseConvolution2D

# the module (sparsemask.functions re-exports the function under its name)
module = importlib.import_module(
    'sparsemask.functions.depthwise_convolution_2d')

SIZES = [(7, 9), (13, 11)]
STRIDES = [1, 2]
DILATIONS = [1, 2]   # MobileNetV2 has no dilated convolution (no output
#                      stride option); 2 covers the geometry anyway
PADS = ['symmetric', 'same', 'none', 'uneven']


def pads_of(kind, size, ksize, stride, dilate):
    """((top, bottom), (left, right))."""
    if kind == 'symmetric':
        return ((ksize[0] - 1) * dilate // 2,) * 2, \
            ((ksize[1] - 1) * dilate // 2,) * 2
    if kind == 'same':      # TensorFlow: the odd pixel after
        out = []
        for axis in (0, 1):
            p = tf_same_pad(size[axis], ksize[axis], stride, dilate)
            out.append((p // 2, p - p // 2))
        return tuple(out)
    if kind == 'none':
        return (0, 0), (0, 0)
    return (2, 0), (1, 3)


def stock(x, W, b, stride, pads, dilate):
    """Chainer's own: pad, then grouped convolution."""
    x = F.pad(x, ((0, 0), (0, 0)) + tuple(pads), mode='constant')
    return F.convolution_2d(x, W, b, stride=stride, dilate=dilate,
                            groups=W.shape[0])


def reference(x, W, b, stride, pads, dilate):
    """Direct float64 loops."""
    x = numpy.pad(x.astype(numpy.float64), ((0, 0), (0, 0)) + tuple(pads))
    N, C, H, Wd = x.shape
    kh, kw = W.shape[2:]
    oh = (H - (kh - 1) * dilate - 1) // stride + 1
    ow = (Wd - (kw - 1) * dilate - 1) // stride + 1
    y = numpy.zeros((N, C, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * stride:i * stride + (kh - 1) * dilate + 1:
                      dilate, j * stride:j * stride + (kw - 1) * dilate + 1:
                      dilate]
            y[:, :, i, j] = (patch * W[None, :, 0]).sum(axis=(2, 3))
    if b is not None:
        y += b[None, :, None, None]
    return y


def make(rng, N, C, size, ksize, dtype, bias):
    x = rng.randn(N, C, *size).astype(dtype)
    W = rng.randn(C, 1, *ksize).astype(dtype)
    b = rng.randn(C).astype(dtype) if bias else None
    return x, W, b


def grads(fn, x, W, b, gy, **kwargs):
    xv, Wv = chainer.Variable(x), chainer.Variable(W)
    bv = None if b is None else chainer.Variable(b)
    y = fn(xv, Wv, bv, **kwargs)
    y.grad = gy
    y.backward()
    out = {'y': y.array, 'gx': xv.grad, 'gW': Wv.grad}
    if b is not None:
        out['gb'] = bv.grad
    return out


def tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == numpy.float32 else \
        dict(rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('size,stride,dilate,pad,bias', list(
    itertools.product(SIZES, STRIDES, DILATIONS, PADS, [False, True])))
@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
def test_matches_chainer_grouped_convolution(size, stride, dilate, pad, bias,
                                             dtype):
    rng = numpy.random.RandomState(sum(size) + stride + dilate)
    ksize = (3, 3)
    x, W, b = make(rng, 2, 5, size, ksize, dtype, bias)
    pads = pads_of(pad, size, ksize, stride, dilate)
    kwargs = dict(stride=stride, dilate=dilate)
    y_ref = stock(x, W, b, stride, pads, dilate).array
    gy = rng.randn(*y_ref.shape).astype(dtype)
    ref = grads(lambda x, W, b: stock(x, W, b, stride, pads, dilate),
                x, W, b, gy)
    got = grads(depthwise_convolution_2d, x, W, b, gy, pad=pads, **kwargs)
    assert got['y'].dtype == dtype and got['y'].flags.c_contiguous
    assert got['y'].shape == y_ref.shape
    if pad == 'same':
        assert got['y'].shape[2:] == tuple(-(-s // stride) for s in size)
    for key in ref:
        assert got[key].dtype == dtype
        numpy.testing.assert_allclose(got[key], ref[key], **tol(dtype),
                                      err_msg=key)
    numpy.testing.assert_allclose(
        got['y'], reference(x, W, b, stride, pads, dilate), **tol(dtype))


@pytest.mark.parametrize('ksize,stride,dilate,pads', [
    ((1, 1), (1, 1), (1, 1), ((0, 0), (0, 0))),
    ((5, 3), (2, 1), (1, 2), ((2, 2), (0, 3))),
    ((2, 4), (3, 2), (2, 1), ((1, 0), (2, 1))),
    ((3, 3), (1, 1), (4, 4), ((4, 4), (4, 4))),
    ((3, 3), (3, 3), (1, 1), ((0, 0), (0, 0))),
    ((3, 3), (2, 2), (1, 1), ((5, 6), (0, 0))),   # pads wider than x
])
def test_other_geometries_float64(ksize, stride, dilate, pads):
    rng = numpy.random.RandomState(3)
    x, W, b = make(rng, 2, 3, (13, 11), ksize, numpy.float64, True)
    y = depthwise_convolution_2d(x, W, b, stride, pads, dilate).array
    x_pad = numpy.pad(x, ((0, 0), (0, 0)) + pads)
    expected = F.convolution_2d(x_pad, W, b, stride=stride, dilate=dilate,
                                groups=3).array
    numpy.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('pad,expected', [
    (1, ((1, 1), (1, 1))),
    ((1, 2), ((1, 1), (2, 2))),
    (((0, 1), (2, 3)), ((0, 1), (2, 3))),
])
def test_pad_forms(pad, expected):
    rng = numpy.random.RandomState(0)
    x, W, _ = make(rng, 1, 2, (6, 7), (3, 3), numpy.float64, False)
    a = depthwise_convolution_2d(x, W, pad=pad).array
    b = depthwise_convolution_2d(x, W, pad=expected).array
    numpy.testing.assert_array_equal(a, b)
    assert a.shape == (1, 2, 4 + sum(expected[0]), 5 + sum(expected[1]))


@pytest.mark.parametrize('stride,pad,dilate', [
    (1, 'same', 1), (2, 'same', 1), (2, 'uneven', 2), (1, 'symmetric', 2)])
@pytest.mark.parametrize('bias', [False, True])
def test_check_backward_float64(stride, pad, dilate, bias):
    rng = numpy.random.RandomState(stride + dilate)
    size = (7, 9)
    x, W, b = make(rng, 2, 3, size, (3, 3), numpy.float64, bias)
    pads = pads_of(pad, size, (3, 3), stride, dilate)
    y = depthwise_convolution_2d(x, W, b, stride, pads, dilate)
    gy = rng.randn(*y.shape)
    inputs = (x, W) if b is None else (x, W, b)

    def f(*args):
        return depthwise_convolution_2d(*args, stride=stride, pad=pads,
                                        dilate=dilate)

    gradient_check.check_backward(f, inputs, gy, dtype=numpy.float64,
                                  atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize('stride,pad', [(1, 'same'), (2, 'same'),
                                        (2, 'uneven')])
def test_check_double_backward_float64(stride, pad):
    rng = numpy.random.RandomState(stride)
    size = (6, 5)
    x, W, b = make(rng, 2, 3, size, (3, 3), numpy.float64, True)
    pads = pads_of(pad, size, (3, 3), stride, 1)
    y = depthwise_convolution_2d(x, W, b, stride, pads)
    gy = rng.randn(*y.shape)
    ggx, ggW, ggb = rng.randn(*x.shape), rng.randn(*W.shape), rng.randn(3)

    def f(*args):
        # squared, so that the second derivatives are not all zero
        y = depthwise_convolution_2d(*args, stride=stride, pad=pads)
        return y * y

    gradient_check.check_double_backward(
        f, (x, W, b), gy, (ggx, ggW, ggb), dtype=numpy.float64, atol=1e-6,
        rtol=1e-6)


def test_only_needed_gradients():
    # x without a gradient (an input image): only gW and gb are computed
    rng = numpy.random.RandomState(0)
    x, W, b = make(rng, 1, 4, (7, 9), (3, 3), numpy.float32, True)
    Wv, bv = chainer.Variable(W), chainer.Variable(b)
    y = depthwise_convolution_2d(x, Wv, bv, 2, ((0, 1), (1, 1)))
    F.sum(y).backward()
    ref_W, ref_b = chainer.Variable(W), chainer.Variable(b)
    F.sum(stock(x, ref_W, ref_b, 2, ((0, 1), (1, 1)), 1)).backward()
    numpy.testing.assert_allclose(Wv.grad, ref_W.grad, rtol=1e-5)
    numpy.testing.assert_allclose(bv.grad, ref_b.grad, rtol=1e-5)


@pytest.mark.parametrize('stride', [1, 2])
@pytest.mark.parametrize('per_block', [1, 3])
def test_blocks_of_channels(monkeypatch, stride, per_block):
    # several blocks of channels (7 = 3 + 3 + 1: the last one partial),
    # in the forward and both gradients
    rng = numpy.random.RandomState(1)
    x, W, b = make(rng, 2, 7, (13, 11), (3, 3), numpy.float64, True)
    pads = pads_of('same', (13, 11), (3, 3), stride, 1)
    gy = rng.randn(2, 7, -(-13 // stride), -(-11 // stride))
    whole = grads(depthwise_convolution_2d, x, W, b, gy, stride=stride,
                  pad=pads)
    geo = module._Geometry((13, 11), (3, 3), (stride,) * 2, pads, (1, 1))
    bands = module._Bands((13, 11), (3, 3), (stride,) * 2, pads, (1, 1),
                          module.ROW_BLOCK)
    assert geo.block(7, 8) == 7 and bands.block(7, 8) == 7
    # the forward's blocks and the gradients' blocks
    for obj, per_channel in [
            (bands, 8 * (stride * bands.rows * bands.qw
                         + 2 * bands.n_blocks * bands.row_block
                         * bands.out_w)),
            (geo, 8 * (geo.n_phases * geo.qh * geo.qw
                       + 2 * geo.out_h * geo.qw))]:
        monkeypatch.setattr(module, 'BLOCK_BYTES', per_block * per_channel)
        assert obj.block(7, 8) == per_block
        monkeypatch.setattr(module, 'BLOCK_BYTES', 1 << 20)
    monkeypatch.setattr(module._Bands, 'block',
                        lambda self, c, itemsize: min(c, per_block))
    monkeypatch.setattr(module._Geometry, 'block',
                        lambda self, c, itemsize: min(c, per_block))
    blocks = grads(depthwise_convolution_2d, x, W, b, gy, stride=stride,
                   pad=pads)
    for key in whole:
        numpy.testing.assert_allclose(blocks[key], whole[key], rtol=1e-12,
                                      atol=1e-12, err_msg=key)


@pytest.mark.parametrize('row_block', [1, 2, 3, 4, 5, 16])
@pytest.mark.parametrize('size,ksize,stride,dilate,pads', [
    ((13, 11), (3, 3), 1, 1, ((1, 1), (1, 1))),
    ((13, 11), (3, 3), 2, 1, ((0, 1), (1, 1))),
    ((14, 9), (3, 3), 2, 2, ((2, 2), (1, 3))),
    ((9, 16), (3, 3), 1, 3, ((3, 3), (3, 3))),
    ((6, 7), (3, 3), 3, 1, ((0, 0), (2, 0))),
    ((10, 8), (2, 5), 1, 1, ((0, 1), (2, 2))),
])
def test_band_rows(size, ksize, stride, dilate, pads, row_block):
    # the forward's bands of output rows (a partial last band where the
    # output rows are not a multiple of the band) against direct loops in
    # float64
    rng = numpy.random.RandomState(3)
    x, W, b = make(rng, 2, 5, size, ksize, numpy.float64, True)
    got = module._forward(x, W, b, (stride, stride), pads,
                          (dilate, dilate), row_block)
    ref = reference(x, W, b, stride, pads, dilate)
    assert got.shape == ref.shape
    numpy.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_channels_last_input():
    # Chainer's convolutions return channels-last arrays
    rng = numpy.random.RandomState(2)
    x = rng.randn(2, 9, 11, 6).astype(numpy.float32).transpose(0, 3, 1, 2)
    W = rng.randn(6, 1, 3, 3).astype(numpy.float32)
    assert not x.flags.c_contiguous
    gy = rng.randn(2, 9, 11, 6).astype(numpy.float32).transpose(0, 3, 1, 2)
    got = grads(depthwise_convolution_2d, x, W, None, gy, pad=1)
    ref = grads(lambda x, W, b: stock(x, W, b, 1, ((1, 1), (1, 1)), 1),
                x, W, None, gy)
    for key in ref:
        numpy.testing.assert_allclose(got[key], ref[key], rtol=1e-4,
                                      atol=1e-4, err_msg=key)


def test_restores_the_ufunc_buffer_size():
    before = numpy.getbufsize()
    rng = numpy.random.RandomState(0)
    x, W, _ = make(rng, 1, 2, (5, 5), (3, 3), numpy.float32, False)
    xv = chainer.Variable(x)
    y = depthwise_convolution_2d(xv, W, pad=1)
    assert numpy.getbufsize() == before
    F.sum(y).backward()
    assert numpy.getbufsize() == before


def test_function_node_on_cpu():
    rng = numpy.random.RandomState(0)
    x, W, _ = make(rng, 1, 2, (5, 5), (3, 3), numpy.float32, False)
    y = depthwise_convolution_2d(x, W, pad=1)
    assert isinstance(y.creator, DepthwiseConvolution2D)
    assert y.creator.pad == ((1, 1), (1, 1))


@pytest.mark.parametrize('pads', [((1, 1), (1, 1)), ((0, 1), (1, 2))])
def test_other_arrays_use_chainer_convolution(monkeypatch, pads):
    # the path of CuPy arrays (cuDNN), taken here with NumPy arrays: the
    # symmetric part of the padding is convolution_2d's, the rest F.pad's
    monkeypatch.setattr(module, '_is_cpu', lambda array: False)
    rng = numpy.random.RandomState(0)
    x, W, b = make(rng, 2, 3, (7, 9), (3, 3), numpy.float64, True)
    y = depthwise_convolution_2d(x, W, b, 2, pads)
    assert y.creator.label == 'Convolution2DFunction'
    assert y.creator.groups == 3
    numpy.testing.assert_allclose(
        y.array, reference(x, W, b, 2, pads, 1), rtol=1e-12, atol=1e-12)


def test_stock_functions_switch():
    rng = numpy.random.RandomState(0)
    x, W, b = make(rng, 1, 3, (6, 7), (3, 3), numpy.float64, True)
    pads = ((0, 1), (1, 1))
    with chainer.using_config('stock_functions', True):
        y = depthwise_convolution_2d(x, W, b, 2, pads)
    assert y.creator.label == 'Convolution2DFunction'
    numpy.testing.assert_allclose(
        y.array, depthwise_convolution_2d(x, W, b, 2, pads).array,
        rtol=1e-12)


@pytest.mark.parametrize('backprop', [True, False])
def test_errors(backprop):
    # with a graph (FunctionNode type checks) and without (the same
    # checks on the arrays)
    with chainer.using_config('enable_backprop', backprop):
        _errors()


def _errors():
    x = numpy.zeros((1, 3, 4, 4), numpy.float32)
    W = numpy.zeros((3, 1, 3, 3), numpy.float32)
    with pytest.raises(ValueError, match='negative'):
        depthwise_convolution_2d(x, W, pad=((0, -1), (0, 0)))
    with pytest.raises(type_check.InvalidType):
        depthwise_convolution_2d(x, W, dilate=2)   # 5x5 kernel, 4x4 input
    with pytest.raises(type_check.InvalidType):
        depthwise_convolution_2d(x, numpy.zeros((3, 2, 3, 3), numpy.float32))
    with pytest.raises(type_check.InvalidType):
        depthwise_convolution_2d(x, W.astype(numpy.float64))
    with pytest.raises(type_check.InvalidType):
        depthwise_convolution_2d(x, W, numpy.zeros(4, numpy.float32))


@pytest.mark.filterwarnings(
    'ignore:external_converters is experimental:FutureWarning')
@pytest.mark.parametrize('bias', [False, True])
def test_onnx_conv(bias):
    onnx = pytest.importorskip('onnx')
    onnxruntime = pytest.importorskip('onnxruntime')
    import onnx_chainer
    from sparsemask.export import external_converters

    rng = numpy.random.RandomState(0)
    x, W, b = make(rng, 2, 4, (12, 11), (3, 3), numpy.float32, bias)
    pads = pads_of('same', (12, 11), (3, 3), 2, 1)
    assert pads == ((0, 1), (1, 1))
    model = chainer.Sequential(
        lambda x: depthwise_convolution_2d(x, W, b, 2, pads))
    onnx_model = onnx_chainer.export(
        model, x, opset_version=11,
        external_converters=external_converters())
    onnx.checker.check_model(onnx_model)
    nodes = [n for n in onnx_model.graph.node if n.op_type != 'Constant']
    assert [n.op_type for n in nodes] == ['Conv']
    attrs = {a.name: onnx.helper.get_attribute_value(a)
             for a in nodes[0].attribute}
    # ONNX: [top, left, bottom, right]
    assert attrs['pads'] == [0, 1, 1, 1]
    assert attrs['group'] == 4 and attrs['strides'] == [2, 2]
    assert attrs['kernel_shape'] == [3, 3] and attrs['dilations'] == [1, 1]
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
    W = rng.randn(4, 1, 3, 3).astype(numpy.float32)
    b = rng.randn(4).astype(numpy.float32) if bias else None
    kwargs = dict(stride=2, pad=((0, 1), (1, 1)))
    y = depthwise_convolution_2d(x, W, b, **kwargs)
    with chainer.no_backprop_mode():
        y_nograph = depthwise_convolution_2d(x, W, b, **kwargs)
    assert y.creator is not None and y_nograph.creator is None
    assert not y_nograph.requires_grad
    numpy.testing.assert_array_equal(y_nograph.array, y.array)


@pytest.mark.parametrize('ksize,dilate,pads,transposed', [
    ((3, 3), (1, 1), ((1, 1), (1, 1)), True),
    ((3, 3), (1, 1), ((0, 1), (1, 1)), True),      # TF 'SAME', odd size
    ((3, 2), (2, 1), ((2, 2), (0, 1)), True),
    ((3, 3), (1, 1), ((0, 0), (0, 0)), True),
    ((3, 3), (1, 1), ((3, 0), (1, 1)), False),     # a pad past the reach
])
def test_grad_x_by_the_flipped_forward(ksize, dilate, pads, transposed):
    # stride 1: the gradient with respect to x is the banded forward of the
    # flipped filters; it equals the per-tap scatter of the other strides
    rng = numpy.random.RandomState(6)
    x, W, _ = make(rng, 2, 3, (9, 7), ksize, numpy.float64, False)
    geo = module._Geometry((9, 7), ksize, (1, 1), pads, dilate)
    gy = rng.randn(2, 3, geo.out_h, geo.out_w)
    assert (module._transposed_pads(geo, pads, dilate) is not None) \
        == transposed
    got = module._grad_x(W, gy, geo, pads, dilate)
    scatter = module._grad_x(W, gy, geo)
    numpy.testing.assert_allclose(got, scatter, rtol=1e-12, atol=1e-12)
    # and Chainer's
    xv = chainer.Variable(x)
    y = stock(xv, W, None, 1, pads, dilate)
    y.grad = gy
    y.backward()
    numpy.testing.assert_allclose(got, xv.grad, rtol=1e-12, atol=1e-12)
