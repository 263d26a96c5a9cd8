import os

import pytest

from sparsemask import Connectivity
from sparsemask import transfer
from sparsemask.backbones import MobileNetV2
from sparsemask.backbones import ResNet101
from sparsemask.backbones import ResNet50
from sparsemask.backbones import VGG16


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER_ARCH = os.path.join(ROOT, 'configs', 'arch',
                          'sparsemask_mobilenetv2_voc.yaml')
MOBILENET_STRIDES = (2, 2, 4, 8, 16, 16, 32, 32, 32)
RESNET_STRIDES = (2, 4, 8, 16, 32)


@pytest.mark.parametrize('backbone', [ResNet101, ResNet50, VGG16])
def test_paper_architecture_to_five_stage_backbones(backbone):
    # ResNet101, ResNet50 and VGG16 have strides 2, 4, 8, 16, 32. By
    # stride, MobileNetV2's E1, E2 (2) -> E1; E3 (4) -> E2; E4 (8) -> E3;
    # E5, E6 (16) -> E4; E7, E8, E9 (32) -> E5, and its decoder stages
    # likewise. So D8 <- E9, G and D7 <- E7, G become one D5 <- E5, G;
    # D6 <- E6, G becomes D4 <- E4, G; D1 <- E1, E6, E7, E8, E9, D6, D7,
    # D8, G becomes D1 <- E1, E4, E5, D4, D5, G (E7, E8, E9 all read E5;
    # D7, D8 both read D5): 10 connections. With the old file's D1 <- E4
    # it read E3 instead of E1.
    assert MobileNetV2.strides == MOBILENET_STRIDES
    assert backbone.strides == RESNET_STRIDES
    src = Connectivity.from_yaml(PAPER_ARCH)
    dst = transfer(src, MOBILENET_STRIDES, backbone.strides)
    assert len(dst.stages) == len(src.stages) - 1
    assert dst == Connectivity(5, {
        5: ['E5', 'G'],
        4: ['E4', 'G'],
        1: ['E1', 'E4', 'E5', 'D4', 'D5', 'G']})
    assert dst.n_connections == 10


def test_identity_transfer():
    src = Connectivity.from_yaml(PAPER_ARCH)
    assert transfer(src, MOBILENET_STRIDES, MOBILENET_STRIDES) == src


def test_unmatched_stage_is_dropped_with_its_readers():
    # the destination has no stride-32 stage: E7..E9, D7 and D8 go, and so
    # do the connections reading them; D6 <- E6, G becomes D4 <- E4, G
    src = Connectivity.from_yaml(PAPER_ARCH)
    dst = transfer(src, MOBILENET_STRIDES, (2, 4, 8, 16))
    assert dst.stages == (4, 1)
    assert dst.inputs(4) == ('E4', 'G')
    assert dst.inputs(1) == ('E1', 'E4', 'D4', 'G')


def test_transfer_prunes_again():
    # D3 is read only by D2 which has no match: D3 goes too (rule 3)
    src = Connectivity(3, {3: ['E3'], 2: ['E2', 'D3'], 1: ['E1', 'G']})
    dst = transfer(src, (2, 4, 8), (2, 8))
    assert dst.stages == (1,)


def test_bad_strides():
    src = Connectivity.full(3)
    with pytest.raises(ValueError, match='src_strides'):
        transfer(src, (2, 4), (2, 4))
    with pytest.raises(ValueError, match='dst_strides'):
        transfer(src, (2, 4, 8), (4, 2))
    with pytest.raises(ValueError, match='D1'):
        transfer(src, (2, 4, 8), (16, 32))


def test_stages_match_by_stride_not_by_index():
    # the destination's finest stage has stride 4: source stage 2 becomes
    # its D1, and source stage 1 (stride 2) has no match
    src = Connectivity.full(3)
    dst = transfer(src, (2, 4, 8), (4, 8))
    assert dst == Connectivity.full(2)
