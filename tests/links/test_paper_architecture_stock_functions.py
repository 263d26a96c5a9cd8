"""The paper's architecture gives the same logits and gradients with this
project's functions (fused stages, depthwise and 1x1 convolutions, banded
resizing, BN folded in inference) as with Chainer's own (issue 20)."""

import numpy
import pytest

import chainer
import chainer.functions as F
import chainer.links as L

from tests.backbones.common import randomize_batch_normalizations
from tests.benchmarks.models import build


@pytest.fixture(scope='module')
def models():
    numpy.random.seed(0)
    ours = build(width=0.5, fused=True)
    stock = build(width=0.5, fused=False)
    randomize_batch_normalizations(ours, numpy.random.RandomState(0))
    stock.copyparams(ours)
    for a, b in zip(ours.links(), stock.links()):
        if isinstance(a, L.BatchNormalization):
            b.avg_mean[...] = a.avg_mean
            b.avg_var[...] = a.avg_var
    return ours, stock


def _relative(a, b):
    return float(numpy.abs(a.astype(numpy.float64) - b).max()
                 / max(numpy.abs(b).max(), 1e-30))


@pytest.mark.parametrize('backprop', [False, True])
def test_inference_logits_unchanged(models, backprop):
    ours, stock = models
    x = numpy.random.RandomState(1).standard_normal(
        (2, 3, 97, 75)).astype(numpy.float32)
    with chainer.using_config('train', False), \
            chainer.using_config('enable_backprop', backprop):
        y = ours(x).array
        with chainer.using_config('stock_functions', True):
            ref = stock(x).array
    assert y.shape == ref.shape == (2, 21, 97, 75)
    assert _relative(y, ref) < 1e-5


def test_gradients_unchanged(models):
    # the backward of every function, with the BN's running statistics
    # (in float32 the batch statistics of the few values of the coarse
    # stages amplify rounding ~1e-2 on any two paths, see
    # tests/backbones/test_mobilenet_v2.py, which checks training mode in
    # float64; Chainer's resize_images takes float32 only)
    ours, stock = models
    rng = numpy.random.RandomState(2)
    x = rng.standard_normal((2, 3, 65, 49)).astype(numpy.float32)
    t = rng.randint(0, 21, (2, 65, 49)).astype(numpy.int32)
    grads = []
    for model, flag in ((ours, False), (stock, True)):
        model.cleargrads()
        with chainer.using_config('train', False), \
                chainer.using_config('stock_functions', flag):
            loss = F.softmax_cross_entropy(model(x), t)
            loss.backward()
        grads.append((float(loss.array),
                      {n: p.grad.copy() for n, p in model.namedparams()
                       if p.grad is not None}))
    (loss_ours, g_ours), (loss_stock, g_stock) = grads
    assert loss_ours == pytest.approx(loss_stock, rel=1e-5)
    assert g_ours.keys() == g_stock.keys()
    assert '/decoder/stage1/conv0/W' in g_ours
    assert '/backbone/expanded_conv_3/depthwise/conv/conv/W' in g_ours
    for k in g_ours:
        assert _relative(g_ours[k], g_stock[k]) < 1e-4, k
