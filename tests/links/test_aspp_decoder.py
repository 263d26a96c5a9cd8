import numpy
import pytest

import chainer
import chainer.functions as F

from sparsemask.links import ASPPDecoder
from sparsemask.links import SparseMask
from tests.tiny_backbone import TinyBackbone


def conv_reference(x, W, dilate):
    """Independent float64 'same' convolution (odd kernel, no bias)."""
    N, C, H, Wd = x.shape
    O, _, k, _ = W.shape
    pad = dilate * (k - 1) // 2
    xp = numpy.zeros((N, C, H + 2 * pad, Wd + 2 * pad))
    xp[:, :, pad:pad + H, pad:pad + Wd] = x
    out = numpy.zeros((N, O, H, Wd))
    for i in range(k):
        for j in range(k):
            patch = xp[:, :, i * dilate:i * dilate + H,
                       j * dilate:j * dilate + Wd]
            out += numpy.einsum('oc,nchw->nohw', W[:, :, i, j], patch)
    return out


def bn_reference(h, bn):
    mean = bn.avg_mean[None, :, None, None]
    std = numpy.sqrt(bn.avg_var + bn.eps)[None, :, None, None]
    return (h - mean) / std * bn.gamma.array[None, :, None, None] \
        + bn.beta.array[None, :, None, None]


def relu6(x):
    return numpy.clip(x, 0, 6)


def reference(decoder, e):
    """DeepLabV3's head in float64, test mode."""
    x = relu6(e.astype(numpy.float64))

    def branch(link, x, dilate):
        return numpy.maximum(bn_reference(
            conv_reference(x, link.conv.W.array, dilate), link.bn), 0)
    hs = [branch(decoder.aspp0, x, 1)]
    for i, rate in enumerate(decoder.rates):
        hs.append(branch(decoder['aspp{}'.format(i + 1)], x, rate))
    if decoder.image_pooling:
        pooled = x.mean(axis=(2, 3), keepdims=True)
        h = branch(decoder.image_pool, pooled, 1)
        hs.append(numpy.broadcast_to(h, hs[0].shape))
    h = numpy.concatenate(hs, axis=1)
    if not decoder.use_projection:
        return h
    return bn_reference(conv_reference(h, decoder.projection.W.array, 1),
                        decoder.bn)


def randomize(link, rng):
    for bn in link.links():
        if isinstance(bn, chainer.links.BatchNormalization):
            C = bn.avg_mean.shape[0]
            bn.avg_mean[...] = rng.uniform(-0.5, 0.5, C)
            bn.avg_var[...] = rng.uniform(0.5, 2, C)
            bn.gamma.array[...] = rng.uniform(0.5, 1.5, C)
            bn.beta.array[...] = rng.uniform(-0.5, 0.5, C)
    return link


@pytest.mark.parametrize('kwargs', [
    {'rates': (1, 2, 3)},
    {'rates': (2, 5)},
    {'rates': (), 'projection': False},
    {'rates': (3,), 'image_pooling': False},
])
def test_matches_float64_reference(kwargs):
    rng = numpy.random.RandomState(0)
    decoder = randomize(ASPPDecoder(6, 5, **kwargs), rng)
    e = rng.randn(2, 6, 7, 9).astype(numpy.float32) * 3
    stages = [None, e]  # only the last stage is read
    with chainer.using_config('train', False):
        y = decoder(stages, None)
    assert y.shape == (2, decoder.out_channels, 7, 9)
    numpy.testing.assert_allclose(y.array, reference(decoder, e),
                                  rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('stride,rates', [(8, (12, 24, 36)), (16, (6, 12, 18)),
                                          (32, (3, 6, 9)), (256, (1, 1, 1))])
def test_default_rates_scale_with_the_output_stride(stride, rates):
    assert ASPPDecoder.default_rates(stride) == rates
    assert ASPPDecoder(4, 8, output_stride=stride).rates == rates


def _n_params(link):
    return sum(p.size for p in link.params())


@pytest.mark.parametrize('C,d,r', [(6, 5, 3), (1280, 64, 3), (1280, 256, 3),
                                   (320, 256, 0)])
def test_parameter_count(C, d, r):
    # convolutions without bias: C d (1x1) + 9 C d r (atrous) + C d (image
    # pool) + (r + 2) d d (projection); 2 d per batch normalization (r + 3)
    decoder = ASPPDecoder(C, d, rates=(6,) * r)
    assert _n_params(decoder) == C * d * (2 + 9 * r) + (r + 2) * d * d \
        + 2 * d * (r + 3)


def test_the_light_head_gives_the_papers_067m():
    # paper Table 1: DeepLabV3 on MobileNetV2 adds 0.67M. DeepLabV3 without
    # the atrous branches (MobileNetV2 paper, Sec. 6.3), depth 256 on the
    # 1280 channels of E_9, no projection, and the 21-class classifier
    decoder = ASPPDecoder(1280, 256, rates=(), projection=False)
    head = 2 * 256 * 21 + 21
    assert _n_params(decoder) + head == 667157
    assert round((_n_params(decoder) + head) / 1e6, 2) == 0.67


def test_in_sparse_mask_forward_backward():
    rng = numpy.random.RandomState(1)
    model = SparseMask(TinyBackbone(), 5,
                       decoder=ASPPDecoder(8, 6, output_stride=8))
    assert model.connectivity is None and not model.search
    assert list(model.stages()) == []
    assert model.head.W.shape == (5, 6, 1, 1)
    model.cleargrads()
    x = rng.randn(2, 3, 33, 31).astype(numpy.float32)
    t = rng.randint(0, 5, (2, 33, 31)).astype(numpy.int32)
    y = model(x)
    assert y.shape == (2, 5, 33, 31)
    F.softmax_cross_entropy(y, t).backward()
    for name, p in model.namedparams():
        assert p.grad is not None and numpy.all(numpy.isfinite(p.grad)), \
            name
    assert numpy.abs(model.decoder.aspp3.conv.W.grad).sum() > 0
    with pytest.raises(ValueError, match='search mode'):
        model.connection_weights()
    with pytest.raises(ValueError, match='search mode'):
        model.sparse_loss()
    labels = model.predict([rng.uniform(0, 255, (3, 20, 24))])
    assert labels[0].shape == (20, 24) and labels[0].dtype == numpy.int32


@pytest.mark.parametrize('kwargs,word', [
    ({'search': True}, 'search'),
    ({'connectivity': 'x'}, 'connectivity'),
    ({'initial_weight': 0.3}, 'initial_weight'),
])
def test_a_decoder_link_takes_no_fdn_options(kwargs, word):
    with pytest.raises(ValueError, match=word):
        SparseMask(TinyBackbone(), 5, decoder=ASPPDecoder(8, 6), **kwargs)
    # fused is ignored (the scripts always pass it)
    SparseMask(TinyBackbone(), 5, decoder=ASPPDecoder(8, 6), fused=False)


def test_bad_rates():
    with pytest.raises(ValueError, match='positive'):
        ASPPDecoder(4, 4, rates=(0, 2))
