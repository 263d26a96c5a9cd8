import numpy
import pytest

import chainer
import chainer.functions as F
import chainer.links as L

from sparsemask.backbones import MobileNetV2
from tests.backbones.common import backward_all
from tests.backbones.common import check_g_is_mean_of_last_stage
from tests.backbones.common import normalized_batch
from tests.backbones.common import randomize_batch_normalizations
from sparsemask.backbones._tf_conv import relu6
from sparsemask.backbones._tf_conv import tf_same_pad
from sparsemask.backbones._tf_conv import TFConvolution2D
from sparsemask.backbones.mobilenet_v2 import ExpandedConv2D


# (out_channels, stride) of expanded_conv_1 .. expanded_conv_16, written
# down from the MobileNetV2 paper (Table 2), independently of the module.
BLOCKS = [(24, 2)] * 1 + [(24, 1)] * 1 + [(32, 2)] + [(32, 1)] * 2 + \
    [(64, 2)] + [(64, 1)] * 3 + [(96, 1)] * 3 + [(160, 2)] + \
    [(160, 1)] * 2 + [(320, 1)]


def round8(v):
    # TF's _make_divisible(v, 8, 8), written out.
    r = max(8, int(v + 4) // 8 * 8)
    if r < 0.9 * v:
        r += 8
    return r


def expected_channels(m):
    base = [32, 16, 24, 32, 64, 96, 160, 320]
    last = 1280 if m < 1 else round8(1280 * m)
    return tuple(round8(c * m) for c in base) + (last,)


def expected_layout(m=1.):
    """Parameter/persistent paths and shapes, from the layout rules."""
    keys = {}

    def conv_bn(prefix, cin, cout, k, groups=1):
        keys[prefix + '/conv/conv/W'] = (cout, cin // groups, k, k)
        for name in ('gamma', 'beta', 'avg_mean', 'avg_var'):
            keys[prefix + '/bn/' + name] = (cout,)
        keys[prefix + '/bn/N'] = ()

    c0 = round8(32 * m)
    conv_bn('conv', 3, c0, 3)
    c1 = round8(16 * m)
    # expanded_conv: expansion 1 -> no expand.
    conv_bn('expanded_conv/depthwise', c0, c0, 3, groups=c0)
    conv_bn('expanded_conv/project', c0, c1, 1)
    cin = c1
    for i, (cout, _) in enumerate(BLOCKS):
        name = 'expanded_conv_{}'.format(i + 1)
        inner = round8(cin * 6)
        conv_bn(name + '/expand', cin, inner, 1)
        conv_bn(name + '/depthwise', inner, inner, 3, groups=inner)
        conv_bn(name + '/project', inner, round8(cout * m), 1)
        cin = round8(cout * m)
    last = 1280 if m < 1 else round8(1280 * m)
    conv_bn('conv1', cin, last, 1)
    keys['logits_conv/conv/W'] = (1001, last, 1, 1)
    keys['logits_conv/conv/b'] = (1001,)
    return keys



@pytest.fixture(scope='module')
def model():
    return MobileNetV2()


def test_interface(model):
    assert model.channels == (32, 16, 24, 32, 64, 96, 160, 320, 1280)
    assert model.strides == (2, 2, 4, 8, 16, 16, 32, 32, 32)
    assert model.g_channels == 1280
    assert model.mean.shape == (3, 1, 1) and model.mean.dtype == numpy.float32
    assert model.std.shape == (3, 1, 1) and model.std.dtype == numpy.float32
    numpy.testing.assert_array_equal(model.mean, 128)
    numpy.testing.assert_array_equal(model.std, 128)
    # TF preprocessing: img / 128 - 1.
    img = numpy.array([0., 128., 255.], dtype=numpy.float32)[:, None, None]
    numpy.testing.assert_allclose(
        (img - model.mean) / model.std, img / 128 - 1)
    x = numpy.array([-1., 3., 7.], dtype=numpy.float32)
    numpy.testing.assert_array_equal(
        model.feature_activation(x).array, [0., 3., 6.])
    assert model.pick == ('conv', 'expanded_conv', 'expanded_conv_2',
                          'expanded_conv_5', 'expanded_conv_9',
                          'expanded_conv_12', 'expanded_conv_15',
                          'expanded_conv_16', 'conv1')
    # The activations are separate layers, after the picked features.
    names = model.layer_names
    assert names.index('conv_relu6') == names.index('conv') + 1
    assert names.index('conv1_relu6') == names.index('conv1') + 1


def test_forward_backward(model):
    x = normalized_batch(model)
    stages, g = model(x)
    assert len(stages) == len(model.channels) == 9
    # TF 'SAME' padding: ceil(65 / stride).
    sizes = [33, 33, 17, 9, 5, 5, 3, 3, 3]
    for h, c, s, size in zip(stages, model.channels, model.strides, sizes):
        assert isinstance(h, chainer.Variable)
        assert h.shape == (2, c, size, size)
        assert size == -(-65 // s)
    assert g.shape == (2, model.g_channels, 1, 1)
    check_g_is_mean_of_last_stage(stages, g)

    # E_1 and E_9 are taken before ReLU6.
    assert (stages[0].array < 0).any()
    assert (stages[-1].array < 0).any()

    backward_all(model, stages, g)
    assert numpy.abs(model.conv.conv.conv.W.grad).max() > 0
    assert numpy.abs(model.conv1.conv.conv.W.grad).max() > 0
    # The classifier is kept for loading but never computed.
    assert model.logits_conv.conv.W.grad is None


def test_test_mode_deterministic(model):
    x = normalized_batch(model, size=33, seed=1)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        a = model(x)[1].array
        b = model(x)[1].array
    numpy.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('m', [0.5, 1.4])
def test_width_multiplier(m):
    model = MobileNetV2(width_multiplier=m)
    expected = expected_channels(m)
    assert model.channels == expected
    assert model.g_channels == expected[-1]
    if m == 0.5:
        assert expected == (16, 8, 16, 16, 32, 48, 80, 160, 1280)
    else:
        assert expected == (48, 24, 32, 48, 88, 136, 224, 448, 1792)
    stages, g = model(normalized_batch(model, size=33))
    assert tuple(h.shape[1] for h in stages) == expected
    assert g.shape == (2, expected[-1], 1, 1)
    shapes = {path.lstrip('/'): p.shape for path, p in model.namedparams()}
    persistent = ('/avg_mean', '/avg_var', '/N')
    assert shapes == {key: shape for key, shape in expected_layout(m).items()
                      if not key.endswith(persistent)}


def test_parameter_count(model):
    n = sum(p.size for p in model.params())
    n_logits = model.logits_conv.conv.W.size + model.logits_conv.conv.b.size
    assert n_logits == 1280 * 1001 + 1001
    assert n - n_logits == 2223872
    assert 2.2e6 <= n - n_logits <= 2.25e6


def test_bn_defaults(model):
    assert isinstance(model.conv.bn, L.BatchNormalization)
    assert model.conv.bn.eps == 1e-3
    assert model.conv.bn.decay == 0.999
    other = MobileNetV2(width_multiplier=0.35, bn_kwargs={'eps': 1e-5})
    bn = other.expanded_conv_3.project.bn
    assert bn.eps == 1e-5 and bn.decay == 0.999


def test_multi_node_bn_dispatch(monkeypatch):
    import chainermn.links

    created = []

    class FakeMNBN(L.BatchNormalization):
        def __init__(self, size, comm, **kwargs):
            created.append((size, comm, kwargs))
            super(FakeMNBN, self).__init__(size, **kwargs)

    monkeypatch.setattr(
        chainermn.links, 'MultiNodeBatchNormalization', FakeMNBN)
    comm = object()
    model = MobileNetV2(width_multiplier=0.35, bn_kwargs={'comm': comm})
    assert isinstance(model.conv.bn, FakeMNBN)
    assert isinstance(model.expanded_conv_16.depthwise.bn, FakeMNBN)
    assert len(created) == sum(
        1 for link in model.links() if isinstance(link, FakeMNBN))
    size, got_comm, kwargs = created[0]
    assert size == 16 and got_comm is comm
    assert kwargs == {'decay': 0.999, 'eps': 1e-3}


def test_npz_layout_and_loading(tmpdir):
    model = MobileNetV2()
    expected = expected_layout()
    assert {'conv/bn/gamma', 'conv/bn/avg_mean',
            'expanded_conv_3/expand/conv/conv/W',
            'logits_conv/conv/b'} <= set(expected)
    assert 'expanded_conv/expand/conv/conv/W' not in expected

    rng = numpy.random.RandomState(0)
    for _, p in model.namedparams():
        p.array[...] += 0.01 * rng.standard_normal(p.shape)
    for link in model.links():
        if isinstance(link, L.BatchNormalization):
            link.avg_mean[...] = rng.standard_normal(link.avg_mean.shape)
            link.avg_var[...] = rng.uniform(0.5, 2, link.avg_var.shape)
            link.N = 7
    path = str(tmpdir.join('mobilenet_v2.npz'))
    chainer.serializers.save_npz(path, model)

    with numpy.load(path) as npz:
        saved = {key: npz[key].shape for key in npz.files}
    assert saved == expected

    loaded = MobileNetV2(pretrained_model=path)
    params = dict(model.namedparams())
    for name, p in loaded.namedparams():
        numpy.testing.assert_array_equal(p.array, params[name].array)
    numpy.testing.assert_array_equal(
        loaded.expanded_conv_7.depthwise.bn.avg_var,
        model.expanded_conv_7.depthwise.bn.avg_var)
    assert loaded.conv1.bn.N == 7

    x = normalized_batch(model, size=33)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        numpy.testing.assert_allclose(
            loaded(x)[1].array, model(x)[1].array, rtol=1e-5)


def test_npz_missing_key_fails(tmpdir):
    model = MobileNetV2(width_multiplier=0.35)
    path = str(tmpdir.join('m.npz'))
    chainer.serializers.save_npz(path, model)
    with numpy.load(path) as npz:
        data = {k: npz[k] for k in npz.files if not k.startswith('conv1/')}
    numpy.savez(path, **data)
    with pytest.raises(KeyError):
        MobileNetV2(pretrained_model=path, width_multiplier=0.35)


def test_bad_pretrained_model():
    with pytest.raises(ValueError, match='nonexistent'):
        MobileNetV2(pretrained_model='nonexistent')
    with pytest.raises(ValueError, match='width_multiplier'):
        MobileNetV2(pretrained_model='imagenet', width_multiplier=0.5)
    with pytest.raises(ValueError):
        MobileNetV2(width_multiplier=0)


def test_residual():
    block = ExpandedConv2D(8, 8)
    assert block.inner_channels == 48
    assert hasattr(block, 'expand')
    block.project.bn.gamma.array[...] = 0
    block.project.bn.beta.array[...] = 0
    x = numpy.random.RandomState(0).standard_normal(
        (2, 8, 5, 5)).astype(numpy.float32)
    with chainer.using_config('train', False):
        numpy.testing.assert_allclose(block(x).array, x, atol=1e-6)
    # No residual when the shape changes; no expand without expansion.
    block = ExpandedConv2D(8, 16, expansion=1, expansion_divisor=1, stride=2)
    assert not hasattr(block, 'expand')
    assert block(x).shape == (2, 16, 3, 3)


@pytest.mark.parametrize('size,ksize,stride,pad', [
    (65, 3, 2, 2), (64, 3, 2, 1), (65, 3, 1, 2), (65, 1, 1, 0),
    (4, 3, 2, 1), (3, 3, 2, 2)])
def test_tf_same_pad(size, ksize, stride, pad):
    assert tf_same_pad(size, ksize, stride) == pad


def test_tf_convolution_same_padding():
    rng = numpy.random.RandomState(0)
    x = rng.standard_normal((1, 2, 6, 7)).astype(numpy.float32)
    conv = TFConvolution2D(2, 3, 3, stride=2, nobias=True)
    y = conv(x).array
    assert y.shape == (1, 3, 3, 4)
    # TF pads the odd extra pixel at the bottom/right: H 6 -> (0, 1),
    # W 7 -> (1, 1).
    xp = numpy.pad(x, ((0, 0), (0, 0), (0, 1), (1, 1)))
    expected = F.convolution_2d(xp, conv.W.array, stride=2).array
    numpy.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def _run(model, x, stock):
    """Stages, G and the parameter gradients of the sum of squares."""
    model.cleargrads()
    with chainer.using_config('stock_functions', stock):
        stages, g = model(x)
    loss = sum(F.sum(h * h) for h in stages) + F.sum(g)
    loss.backward()
    out = {'stage{}'.format(i): h.array for i, h in enumerate(stages)}
    out['g'] = g.array
    grads = {name: p.grad.copy() for name, p in model.namedparams()
             if p.grad is not None}
    return out, grads


def _assert_relative(a, b, rtol, name):
    scale = float(numpy.abs(b).max())
    diff = float(numpy.abs(a.astype(numpy.float64) - b).max())
    assert diff <= rtol * scale, (name, diff, scale)


# (dtype, train): relative tolerance of the outputs and of the gradients.
# Not float32 in training mode: with batch statistics of few values (the
# last stages are 3x2 at 66x50, batch 2) and ReLU6-clipped channels of
# almost no variance, the batch normalizations amplify float32 rounding
# into parameter gradients ~1e-2 (relative) off the float64 ones, on the
# stock path as on ours; float64 shows that the two compute the same.
MATCH_TOLERANCES = {
    (numpy.float32, False): (1e-5, 1e-4),
    (numpy.float64, False): (1e-10, 1e-10),
    (numpy.float64, True): (1e-10, 1e-10),
}


@pytest.mark.parametrize('dtype,train', sorted(
    MATCH_TOLERANCES, key=lambda k: (k[0] == numpy.float64, k[1])))
def test_cpu_functions_match_stock_functions(dtype, train):
    # On the CPU the depthwise and 1x1 convolutions are
    # sparsemask.functions' (the 'SAME' padding folded in); with
    # chainer.config.stock_functions Chainer's F.pad and (grouped)
    # convolution_2d. 66x50: TF 'SAME' pads unevenly ((0, 1)) where the
    # input of a stride-2 convolution is even and evenly where it is odd.
    rtol, grad_rtol = MATCH_TOLERANCES[dtype, train]
    numpy.random.seed(0)  # the initializers
    with chainer.using_config('dtype', dtype):
        model = MobileNetV2()
    rng = numpy.random.RandomState(0)
    randomize_batch_normalizations(model, rng)
    img = rng.uniform(0, 255, (2, 3, 66, 50))
    x = ((img - model.mean) / model.std).astype(dtype)
    with chainer.using_config('train', train):
        ours, our_grads = _run(model, x, False)
        stock, stock_grads = _run(model, x, True)
    assert ours.keys() == stock.keys()
    for key in ours:
        assert ours[key].dtype == dtype
        _assert_relative(ours[key], stock[key], rtol, key)
    assert our_grads.keys() == stock_grads.keys()
    assert '/expanded_conv_3/depthwise/conv/conv/W' in our_grads
    for key in our_grads:
        _assert_relative(our_grads[key], stock_grads[key], grad_rtol, key)


def test_cpu_functions_are_used():
    from sparsemask.functions.depthwise_convolution_2d import \
        DepthwiseConvolution2D
    from sparsemask.functions.pointwise_convolution_2d import \
        PointwiseConvolution2D

    block = MobileNetV2(width_multiplier=0.35).expanded_conv_1
    x = numpy.random.RandomState(0).standard_normal(
        (1, 8, 10, 10)).astype(numpy.float32)
    h = block.expand.conv(x)
    assert isinstance(h.creator, PointwiseConvolution2D)
    y = block.depthwise.conv(h)
    assert isinstance(y.creator, DepthwiseConvolution2D)
    assert y.creator.pad == ((0, 1), (0, 1)) and y.shape[2:] == (5, 5)
    assert isinstance(block.project.conv(y).creator, PointwiseConvolution2D)
    with chainer.using_config('stock_functions', True):
        y_stock = block.depthwise.conv(h)
        h_stock = block.expand.conv(x)
    assert y_stock.creator.label == 'Convolution2DFunction'
    assert y_stock.creator.inputs[0].creator.label == 'Pad'
    assert h_stock.creator.label == 'Convolution2DFunction'
    numpy.testing.assert_allclose(y.array, y_stock.array, rtol=1e-5,
                                  atol=1e-5)


@pytest.mark.parametrize('dtype,rtol', [(numpy.float32, 1e-5),
                                        (numpy.float64, 1e-10)])
def test_inference_folds_the_batch_normalizations(dtype, rtol):
    # test mode without backprop: each BN folded into its convolution and
    # ReLU6 in place; the same stages as the stock functions computed
    # step by step
    numpy.random.seed(1)
    with chainer.using_config('dtype', dtype):
        model = MobileNetV2(width_multiplier=0.5)
    rng = numpy.random.RandomState(1)
    randomize_batch_normalizations(model, rng)
    x = rng.standard_normal((2, 3, 45, 38)).astype(dtype)
    with chainer.using_config('train', False):
        with chainer.no_backprop_mode():
            stages, g = model(x)
        with chainer.using_config('stock_functions', True):
            ref_stages, ref_g = model(x)
    for i, (h, ref) in enumerate(zip(list(stages) + [g],
                                     list(ref_stages) + [ref_g])):
        assert h.dtype == dtype
        _assert_relative(h.array, ref.array, rtol, i)
        # in C order, also the stem's (Chainer's convolution would leave
        # it channels-last)
        assert h.array.flags.c_contiguous, i
    # the folded path made them (no BN node in the graph; with backprop
    # enabled, the same model goes through the BN links)
    assert stages[0].creator is None
    assert ref_stages[0].creator is not None


@pytest.mark.parametrize('nobias,activ', [(False, None), (True, relu6)])
def test_folding_with_a_bias_and_without_activation(nobias, activ):
    from sparsemask.backbones._tf_conv import TFConv2DBNActiv
    numpy.random.seed(2)
    layer = TFConv2DBNActiv(6, 6, 3, stride=2, groups=6, nobias=nobias,
                            activ=activ)
    rng = numpy.random.RandomState(2)
    x = rng.standard_normal((1, 6, 9, 8)).astype(numpy.float32)
    layer(x)    # initialises nothing lazily, runs in training mode
    bn = layer.bn
    bn.avg_mean[...] = rng.uniform(-1, 1, 6)
    bn.avg_var[...] = rng.uniform(0.5, 2, 6)
    if not nobias:
        layer.conv.conv.b.array[...] = rng.uniform(-1, 1, 6)
    with chainer.using_config('train', False):
        with chainer.no_backprop_mode():
            y = layer(x).array
        ref = layer(x).array
    numpy.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    if activ is None:
        assert (ref < 0).any()      # not clipped
    else:
        assert ref.min() >= 0 and ref.max() <= 6
