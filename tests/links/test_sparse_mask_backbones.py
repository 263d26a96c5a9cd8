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
    model = SparseMask(backbone, 21, connectivity=PAPER_ARCH, channels=64)
    encoder = _n_params(backbone) - _n_params(backbone.logits_conv)
    decoder = _n_params(model.decoder) + _n_params(model.head)
    assert encoder == 2223872 and round(encoder / 1e6, 2) == 2.22
    assert decoder == 560981 and round(decoder / 1e6, 2) == 0.56
    # the 1x1 convolutions: 64 x (input channels) each, E1 32, E6 96,
    # E7 160, E8 320, E9 and G 1280, a decoder stage 64
    convs = {n: p.shape[1] for n, p in model.decoder.namedparams()
             if n.endswith('/W')}
    assert convs == {
        '/stage8/conv0/W': 1280, '/stage8/conv1/W': 1280,  # E9, G
        '/stage7/conv0/W': 160, '/stage7/conv1/W': 1280,  # E7, G
        '/stage6/conv0/W': 96, '/stage6/conv1/W': 1280,  # E6, G
        '/stage1/conv0/W': 32, '/stage1/conv1/W': 96, '/stage1/conv2/W': 160,
        '/stage1/conv3/W': 320, '/stage1/conv4/W': 1280,  # E1, E6..E9
        '/stage1/conv5/W': 64, '/stage1/conv6/W': 64,
        '/stage1/conv7/W': 64, '/stage1/conv8/W': 1280}  # D6, D7, D8, G
    assert 64 * sum(convs.values()) == 559104
    # the rest: the stages' BN (gamma, beta) and the head (W, b)
    assert decoder - 559104 == 4 * 2 * 64 + 64 * 21 + 21
