import os

import pytest

from sparsemask.backbones import ResNet50
from sparsemask.connectivity import Connectivity
from sparsemask.training import ConfigError
from sparsemask.training import DEFAULTS
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
    from sparsemask.training import build_model
    with pytest.raises(ConfigError, match="model.backbone: unknown.*vgg16"):
        build_model(config(backbone='resnet18'), 'search', 3)
