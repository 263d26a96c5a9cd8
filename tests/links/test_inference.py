"""The in-place CPU inference path of the decoder and the head
(sparsemask.links._inference) computes what the stock functions do."""

import numpy
import pytest

import chainer
import chainer.links as L

from sparsemask.connectivity import Connectivity
from sparsemask.links import SparseMask
from sparsemask.links._inference import batch_normalization_inplace
from sparsemask.utils.inference import cpu_inference
from sparsemask.links.fdn_decoder import relu6
from tests.tiny_backbone import TinyBackbone


def test_batch_normalization_inplace_equals_the_link():
    rng = numpy.random.RandomState(0)
    bn = L.BatchNormalization(5)
    bn.avg_mean[...] = rng.uniform(-1, 1, 5)
    bn.avg_var[...] = rng.uniform(0.5, 2, 5)
    bn.gamma.array[...] = rng.uniform(0.5, 1.5, 5)
    bn.beta.array[...] = rng.uniform(-1, 1, 5)
    x = rng.standard_normal((2, 5, 4, 3)).astype(numpy.float32)
    with chainer.using_config('train', False):
        expected = bn(x).array
    y = x.copy()
    assert batch_normalization_inplace(bn, y) is y
    numpy.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    # a channels-last array (as Chainer's convolutions return)
    y = numpy.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    assert not y.flags.c_contiguous
    assert batch_normalization_inplace(bn, y) is y
    numpy.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_when_it_applies():
    x = numpy.zeros((1, 1), numpy.float32)
    with chainer.using_config('train', False):
        with chainer.no_backprop_mode():
            assert cpu_inference(x)
            with chainer.using_config('stock_functions', True):
                assert not cpu_inference(x)
        assert not cpu_inference(x)          # backprop enabled
    with chainer.no_backprop_mode():
        assert not cpu_inference(x)          # training mode


@pytest.mark.parametrize('activation', ['relu6', 'none'])
@pytest.mark.parametrize('fused', [True, False])
def test_sparse_mask_inference_equals_the_stock_path(activation, fused):
    numpy.random.seed(0)
    backbone = TinyBackbone(
        feature_activation=relu6 if activation == 'relu6' else None)
    c = Connectivity(backbone.n_stages if hasattr(backbone, 'n_stages')
                     else len(backbone.channels),
                     {3: ['E3', 'G'], 2: ['E2', 'D3'],
                      1: ['E1', 'E3', 'D2', 'D3', 'G']})
    model = SparseMask(backbone, 4, connectivity=c, channels=6, fused=fused)
    rng = numpy.random.RandomState(1)
    for link in model.links():
        if isinstance(link, L.BatchNormalization):
            C = link.avg_mean.shape[0]
            link.avg_mean[...] = rng.uniform(-0.5, 0.5, C)
            link.avg_var[...] = rng.uniform(0.5, 2, C)
    x = rng.standard_normal((2, 3, 19, 23)).astype(numpy.float32)
    calls = []
    bn = model.decoder.bn1
    forward = bn.forward
    bn.forward = lambda *a, **k: calls.append(1) or forward(*a, **k)
    with chainer.using_config('train', False):
        with chainer.no_backprop_mode():
            y = model(x).array
            # a batch runs an image at a time
            per_image = [model(x[i:i + 1]).array for i in range(2)]
        numpy.testing.assert_array_equal(y, numpy.concatenate(per_image))
        assert calls == []          # the in-place path ran
        with chainer.using_config('stock_functions', True):
            ref = model(x).array
        assert calls == [1]
    numpy.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
