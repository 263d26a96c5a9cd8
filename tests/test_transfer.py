import os

import pytest

from sparsemask import Connectivity
from sparsemask import transfer


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER_ARCH = os.path.join(ROOT, 'configs', 'arch',
                          'sparsemask_mobilenetv2_voc.yaml')
MOBILENET_STRIDES = (2, 2, 4, 8, 16, 16, 32, 32, 32)
RESNET_STRIDES = (2, 4, 8, 16, 32)


def test_paper_architecture_to_resnet_removes_one_stage():
    src = Connectivity.from_yaml(PAPER_ARCH)
    dst = transfer(src, MOBILENET_STRIDES, RESNET_STRIDES)
    assert len(dst.stages) == len(src.stages) - 1
    # the two stride-32 decoder stages (D9, D7) become one, D5
    assert dst.stages == (5, 4, 1)
    assert dst.inputs(5) == ('E5', 'G')
    assert dst.inputs(4) == ('E4', 'G')
    assert dst.inputs(1) == ('E3', 'E4', 'E5', 'D4', 'D5', 'G')


def test_identity_transfer():
    src = Connectivity.from_yaml(PAPER_ARCH)
    assert transfer(src, MOBILENET_STRIDES, MOBILENET_STRIDES) == src


def test_unmatched_stage_is_dropped_with_its_readers():
    # the destination has no stride-32 stage: E9/D9 (and the rest at 32)
    # go, and so do the connections reading them
    src = Connectivity.from_yaml(PAPER_ARCH)
    dst = transfer(src, MOBILENET_STRIDES, (2, 4, 8, 16))
    assert dst.stages == (4, 1)
    assert dst.inputs(1) == ('E3', 'E4', 'D4', 'G')


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
