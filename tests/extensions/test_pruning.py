import os

import numpy
import pytest

import chainer

from sparsemask.connectivity import Connectivity
from sparsemask.extensions import load_connection_weights
from sparsemask.extensions import Pruning
from sparsemask.extensions import save_connection_weights
from sparsemask.extensions import write_pruning_result
from tests.extensions.trainer_util import make_trainer


PAPER_ARCH = os.path.join(os.path.dirname(__file__), '..', '..', 'configs',
                          'arch', 'sparsemask_mobilenetv2_voc.yaml')


def paper_weights():
    """MobileNetV2's 90 weights at the paper's extremes: the paper's
    connections at 2.666e-2 (smallest kept), all others at 1.342e-4
    (largest dropped)."""
    arch = Connectivity.from_yaml(PAPER_ARCH)
    full = Connectivity.full(9)
    return {l: {n: 2.666e-2 if l in arch.stages and n in arch.inputs(l)
                else 1.342e-4 for n in full.inputs(l)}
            for l in full.stages}, arch


def test_write_pruning_result_gives_the_paper_architecture(tmp_path):
    weights, arch = paper_weights()
    c = write_pruning_result(str(tmp_path), weights, 9, sigma=1e-3,
                             iteration=7)
    assert c == arch and c.n_connections == 15
    assert Connectivity.from_yaml(str(tmp_path / 'arch.yaml')) == arch
    text = (tmp_path / 'arch.yaml').read_text()
    assert '15 of 90 connections' in text and 'iteration 7' in text
    loaded = load_connection_weights(str(tmp_path / 'connection_weights.npz'))
    assert loaded.keys() == weights.keys()
    for l in weights:
        assert loaded[l] == pytest.approx(weights[l], rel=1e-6)
    png = (tmp_path / 'connection_weights.png').read_bytes()
    assert png[:8] == b'\x89PNG\r\n\x1a\n' and len(png) > 1000
    # nothing temporary is left behind
    assert sorted(os.listdir(str(tmp_path))) == [
        'arch.yaml', 'connection_weights.npz', 'connection_weights.png']


def test_save_load_round_trip(tmp_path):
    weights = {2: {'E2': 0.25, 'G': 1.0}, 1: {'E1': 0.0, 'D2': 0.5}}
    path = str(tmp_path / 'w.npz')
    save_connection_weights(path, weights)
    assert load_connection_weights(path) == weights


class FakeComm(object):
    def __init__(self, rank):
        self.rank = rank


@pytest.mark.parametrize('rank', [0, 1])
def test_extension_prunes_on_every_rank_and_writes_on_rank0(tmp_path, rank):
    ext = Pruning(sigma=0.3, comm=FakeComm(rank))
    trainer, model = make_trainer(str(tmp_path), max_iter=2, lr=0.0,
                                  extensions=[])
    trainer.extend(ext, trigger=(2, 'iteration'))
    # weights decide: E3 and G of D3, E2 of D2, D2 and E1 of D1
    keep = {3: {'E3', 'G'}, 2: {'E2', 'D3'}, 1: {'E1', 'D2'}}
    for l, stage in model.stages():
        names = model.connectivity.inputs(l)
        stage.w.array[...] = [0.9 if n in keep[l] else 0.1 for n in names]
    trainer.run()
    assert ext.connectivity == Connectivity(3, keep)
    assert ext.last_iteration == 2
    assert trainer.observation['prune/connections'] == 6
    written = os.path.exists(str(tmp_path / 'arch.yaml'))
    assert written == (rank == 0)


def test_resume_keeps_last_iteration(tmp_path):
    trainer, _ = make_trainer(str(tmp_path / 'a'), max_iter=2, lr=0.0)
    trainer.extend(Pruning(), trigger=(1, 'iteration'))
    trainer.run()
    snap = str(tmp_path / 'snap.npz')
    chainer.serializers.save_npz(snap, trainer)
    ext = Pruning()
    trainer, _ = make_trainer(str(tmp_path / 'b'), max_iter=2, lr=0.0)
    trainer.extend(ext, trigger=(1, 'iteration'))
    assert ext.last_iteration == -1
    chainer.serializers.load_npz(snap, trainer)
    assert ext.last_iteration == 2


def test_heatmap_matrix_layout():
    from sparsemask.visualizations import connection_weight_matrix
    weights = {2: {'E2': 0.25, 'G': 1.0}, 1: {'E1': 0.0, 'D2': 0.5}}
    m, rows, cols = connection_weight_matrix(weights, 2)
    assert rows == ['D2', 'D1'] and cols == ['E1', 'E2', 'D2', 'G']
    expected = numpy.array([[numpy.nan, 0.25, numpy.nan, 1.0],
                            [0.0, numpy.nan, 0.5, numpy.nan]])
    numpy.testing.assert_array_equal(m, expected)
    with pytest.raises(ValueError, match='D2 has no input E1'):
        connection_weight_matrix({2: {'E1': 0.5}}, 2)


def test_topk_pruning_keeps_exactly_k_per_stage(tmp_path):
    # a MaskConnect-style search: the top k of each stage, sigma aside
    rng = numpy.random.RandomState(0)
    full = Connectivity.full(9)
    weights = {l: {n: float(rng.uniform(0, 1e-4)) for n in full.inputs(l)}
               for l in full.stages}
    for k in (1, 2, 3):
        out = str(tmp_path / str(k))
        c = write_pruning_result(out, weights, 9, sigma=1e-3, topk=k)
        assert 1 in c.stages
        for l in c.stages:
            assert len(c.inputs(l)) == min(k, 2 * (9 - l + 1))
            ranked = sorted(weights[l], key=lambda n: -weights[l][n])
            assert set(c.inputs(l)) == set(ranked[:k])
        assert Connectivity.from_yaml(os.path.join(out, 'arch.yaml')) == c
        with open(os.path.join(out, 'arch.yaml')) as f:
            assert f.readline().startswith(
                '# pruned with the top {} of each stage:'.format(k))


def test_pruning_extension_with_topk(tmp_path):
    pruning = Pruning(topk=2, sigma=0.9)  # once, after the epoch's 4th
    trainer, model = make_trainer(str(tmp_path), max_iter=4,
                                  extensions=[pruning])
    trainer.run()
    c = pruning.connectivity
    for l in c.stages:
        assert len(c.inputs(l)) == 2
    assert trainer.observation['prune/connections'] == c.n_connections
