import os

import numpy
import pytest

import chainer.functions as F

from sparsemask.backbones import ResNet50
from sparsemask.connectivity import Connectivity
from sparsemask.training import build_model
from sparsemask.training import ConfigError
from sparsemask.training import DEFAULTS
from sparsemask.training import load_config
from sparsemask.training.build_model import build_connectivity
from sparsemask.transfer import transfer


PAPER_ARCH = os.path.join(os.path.dirname(__file__), '..', '..', 'configs',
                          'arch', 'sparsemask_mobilenetv2_voc.yaml')


class FiveStages(object):
    strides = ResNet50.strides


def config(**kwargs):
    c = dict(DEFAULTS['model'])
    c.update(kwargs)
    return c


def test_search_is_the_full_fdn_and_retrain_reads_arch():
    assert build_connectivity(config(), 'search', FiveStages) == \
        Connectivity.full(5)
    assert build_connectivity(config(arch='unet'), 'retrain', FiveStages) \
        == Connectivity.unet(5)


def test_transfer_to_another_backbone():
    from sparsemask.backbones import MobileNetV2
    c = build_connectivity(
        config(backbone='resnet50', arch=PAPER_ARCH,
               arch_backbone='mobilenetv2'), 'retrain', FiveStages)
    assert c == transfer(Connectivity.from_yaml(PAPER_ARCH),
                         MobileNetV2.strides, ResNet50.strides)
    assert c.n_stages == 5


@pytest.mark.parametrize('kwargs,match', [
    ({}, 'retraining needs an architecture'),
    ({'arch': '/no/such/arch.yaml'}, '/no/such/arch.yaml does not exist'),
    ({'arch': PAPER_ARCH}, 'has 9 stages but resnet50 has 5.*arch_backbone'),
    ({'arch': PAPER_ARCH, 'arch_backbone': 'alexnet'},
     "unknown backbone 'alexnet'"),
])
def test_errors_name_the_key(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        build_connectivity(config(backbone='resnet50', **kwargs), 'retrain',
                           FiveStages)


def test_unknown_backbone():
    with pytest.raises(ConfigError, match="model.backbone: unknown.*vgg16"):
        build_model(config(backbone='resnet18'), 'search', 3)


# --- the baselines of the paper's Table 1 --------------------------------


class NineStages(object):
    strides = (2, 2, 4, 8, 16, 16, 32, 32, 32)


@pytest.mark.parametrize('arch', ['full', 'unet', 'fcn', 'sparseacn'])
def test_baseline_names(arch):
    for backbone in (FiveStages, NineStages):
        L = len(backbone.strides)
        # arch_backbone does not apply to a baseline
        c = build_connectivity(config(arch=arch, arch_backbone='vgg16'),
                               'retrain', backbone)
        assert c == getattr(Connectivity, arch)(L)
    assert build_connectivity(config(arch=arch), 'search', NineStages) == \
        Connectivity.full(9)


def test_random_is_a_function_of_the_seed():
    c = build_connectivity(config(arch='random', random_connections=15,
                                  random_seed=3), 'retrain', NineStages)
    assert c == Connectivity.random(9, 15, 3)
    assert c.n_connections == 15
    assert build_connectivity(config(arch='random', random_connections=15),
                              'retrain', NineStages) == \
        Connectivity.random(9, 15, 0)


@pytest.mark.parametrize('kwargs,match', [
    ({'arch': 'random'}, r'^model\.random_connections: .*1 to 30'),
    ({'arch': 'random', 'random_connections': 31},
     r'^model\.random_connections = 31: .* 30 connections'),
    ({'arch': 'sparse_acn'}, r'^model\.arch: sparse_acn does not exist.*'
                             'sparseacn, random, deeplabv3'),
])
def test_baseline_errors_name_the_key(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        build_connectivity(config(backbone='resnet50', **kwargs), 'retrain',
                           FiveStages)


def test_deeplabv3_has_no_connectivity():
    assert build_connectivity(config(arch='deeplabv3'), 'retrain',
                              FiveStages) is None


@pytest.mark.parametrize('key,value', [
    ('model.arch', 3), ('model.random_connections', 0),
    ('model.random_seed', -1), ('model.connection_bn', 'maybe'),
    ('model.weight_scale', 0), ('train.search_loss', 'l2'),
    ('train.topk', 0), ('train.lr_connection', -0.1),
])
def test_bad_values_name_the_key(key, value):
    with pytest.raises(ConfigError, match=r'{} = '.format(key)):
        load_config(None, ['{}={}'.format(key, value)])


def test_bn_affine_without_connection_bn_is_refused():
    with pytest.raises(ConfigError, match=r'^model\.bn_affine = true'):
        build_model(config(backbone='mobilenetv2', width_multiplier=0.25,
                           connection_bn=False, bn_affine=True), 'search', 3)


def test_search_options_reach_the_stages():
    model = build_model(
        config(width_multiplier=0.25, weight_scale=2.0, connection_bn=False,
               initial_weight=0.25),
        'search', 3,
        train_config=dict(DEFAULTS['train'], search_loss='topk', topk=4))
    for _, stage in model.stages():
        assert stage.weight_scale == 2.0
        assert not stage.connection_bn and not hasattr(stage, 'bn0')
        assert stage.topk == 4
        assert (stage.w.array == 0.25).all()
    # topk applies to a search with search_loss topk only
    for loss in ('sparse', 'l1'):
        model = build_model(config(width_multiplier=0.25), 'search', 3,
                            train_config=dict(DEFAULTS['train'],
                                              search_loss=loss, topk=4))
        assert all(stage.topk is None and stage.connection_bn
                   and stage.weight_scale == 1.0
                   for _, stage in model.stages())


def _forward_backward(model, n_class):
    model.cleargrads()
    rng = numpy.random.RandomState(0)
    x = rng.randn(2, 3, 65, 65).astype(numpy.float32)
    t = rng.randint(0, n_class, (2, 65, 65)).astype(numpy.int32)
    y = model(x)
    assert y.shape == (2, n_class, 65, 65)
    F.softmax_cross_entropy(y, t).backward()
    for name, p in list(model.decoder.namedparams()) + \
            list(model.head.namedparams()):
        assert p.grad is not None and numpy.all(numpy.isfinite(p.grad)), name
        assert numpy.abs(p.grad).sum() > 0, name


@pytest.mark.parametrize('arch', ['fcn', 'unet', 'sparseacn', 'random',
                                  'deeplabv3', 'full'])
def test_mobilenetv2_baselines_forward_backward(arch):
    # the real 9 stages, width 0.25
    model = build_model(config(arch=arch, width_multiplier=0.25,
                               channels=16, random_connections=15),
                        'retrain', 4)
    assert len(model.backbone.channels) == 9
    if arch == 'deeplabv3':
        assert model.connectivity is None
        assert model.decoder.rates == (3, 6, 9)  # output stride 32
        assert model.decoder.in_channels == model.backbone.channels[-1]
    else:
        assert model.connectivity.n_connections == {
            'fcn': 2, 'unet': 18, 'sparseacn': 39, 'random': 15,
            'full': 90}[arch]
    _forward_backward(model, 4)


def _n_params(*links):
    return sum(p.size for link in links for p in link.params())


def test_mobilenetv2_parameter_counts_of_fcn_and_deeplabv3():
    # width 1.0, 21 classes, depth 64; counted as the paper counts them
    # (decoder + head; eval/bench_model.py)
    fcn = build_model(config(arch='fcn'), 'retrain', 21)
    # D1 <- E9 (1280), G (1280): two 1x1 convolutions, the BN after the
    # sum, and the head on 64 channels
    assert _n_params(fcn.decoder, fcn.head) == \
        2 * 1280 * 64 + 2 * 64 + 64 * 21 + 21 == 165333
    deeplab = build_model(config(arch='deeplabv3'), 'retrain', 21)
    # ASPP of depth 64 on E9: 1x1, three 3x3, image pooling, projection
    assert _n_params(deeplab.decoder, deeplab.head) == \
        1280 * 64 * (1 + 27 + 1) + 5 * 64 * 64 + 6 * 2 * 64 \
        + 64 * 21 + 21 == 2398293
    deeplab = build_model(config(arch='deeplabv3', channels=256), 'retrain',
                          21)
    assert _n_params(deeplab.decoder, deeplab.head) == 9838869
