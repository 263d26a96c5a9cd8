import os

import numpy
import pytest

import chainer.functions as F

from sparsemask import backbones
from sparsemask import Connectivity
from sparsemask import SparseMask
from sparsemask import transfer


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PAPER_ARCH = Connectivity.from_yaml(os.path.join(
    ROOT, 'configs', 'arch', 'sparsemask_mobilenetv2_voc.yaml'))
MOBILENET_STRIDES = (2, 2, 4, 8, 16, 16, 32, 32, 32)


def _backbone(name):
    return getattr(backbones, name)()


def _check_forward_backward(model, n_class=7):
    model.cleargrads()
    rng = numpy.random.RandomState(0)
    x = rng.randn(2, 3, 65, 65).astype(numpy.float32)
    t = rng.randint(0, n_class, (2, 65, 65)).astype(numpy.int32)
    y = model(x)
    assert y.shape == (2, n_class, 65, 65)
    loss = F.softmax_cross_entropy(y, t)
    if model.search:
        loss += model.sparse_loss()
    loss.backward()
    assert numpy.isfinite(float(loss.array))
    for name, p in model.decoder.namedparams():
        assert p.grad is not None and numpy.all(numpy.isfinite(p.grad)), name
    assert numpy.abs(model.head.W.grad).sum() > 0


@pytest.mark.parametrize('name', ['MobileNetV2', 'ResNet50', 'ResNet101',
                                  'VGG16'])
def test_search_mode(name):
    backbone = _backbone(name)
    model = SparseMask(backbone, 7, search=True)
    L = len(backbone.channels)
    assert model.connectivity.n_connections == L * (L + 1)
    _check_forward_backward(model)


@pytest.mark.parametrize('name', ['MobileNetV2', 'ResNet50', 'ResNet101',
                                  'VGG16'])
def test_retrain_mode_with_the_paper_architecture(name):
    backbone = _backbone(name)
    if len(backbone.channels) == 9:
        arch = PAPER_ARCH
    else:
        arch = transfer(PAPER_ARCH, MOBILENET_STRIDES, backbone.strides)
        assert len(arch.stages) == len(PAPER_ARCH.stages) - 1
    model = SparseMask(backbone, 7, connectivity=arch)
    assert not model.search
    _check_forward_backward(model)


def _n_params(link):
    return sum(p.size for p in link.params())


def test_mobilenetv2_parameter_counts_against_the_paper():
    # paper Table 1: 2.22M (encoder) + 0.56M (decoder) for SparseMask
    backbone = backbones.MobileNetV2()
    model = SparseMask(backbone, 21, connectivity=PAPER_ARCH)
    encoder = _n_params(backbone) - _n_params(backbone.logits_conv)
    decoder = _n_params(model.decoder) + _n_params(model.head)
    assert abs(encoder - 2.22e6) < 0.01e6
    assert abs(decoder - 0.56e6) < 0.01e6
    # the 1x1 convolutions alone: 64 x (sum of input channels)
    convs = sum(p.size for n, p in model.decoder.namedparams()
                if n.endswith('/W'))
    d9, d7, d6 = 1280 + 1280, 160 + 1280, 96 + 1280
    d1 = 32 + 96 + 160 + 320 + 1280 + 64 * 3 + 1280
    assert convs == 64 * (d9 + d7 + d6 + d1) == 559104
