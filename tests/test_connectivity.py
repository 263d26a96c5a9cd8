import os

import pytest
import yaml

from sparsemask import Connectivity
from sparsemask.prune import prune_stages


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER_ARCH = os.path.join(ROOT, 'configs', 'arch',
                          'sparsemask_mobilenetv2_voc.yaml')


@pytest.mark.parametrize('L', [1, 2, 5, 9, 12])
def test_full_has_L_times_L_plus_1_connections(L):
    assert Connectivity.full(L).n_connections == L * (L + 1)


def test_full_counts_of_the_paper():
    assert Connectivity.full(9).n_connections == 90
    assert Connectivity.full(5).n_connections == 30


def test_full_stage_reads_every_allowed_input():
    c = Connectivity.full(5)
    assert c.inputs(3) == ('E3', 'E4', 'E5', 'D4', 'D5', 'G')
    assert c.inputs(5) == ('E5', 'G')
    assert c.stages == (5, 4, 3, 2, 1)
    # stage l has 2(L - l + 1) inputs
    for l in range(1, 6):
        assert len(c.inputs(l)) == 2 * (5 - l + 1)


def test_unet():
    c = Connectivity.unet(5)
    assert c.inputs(5) == ('E5', 'G')
    for l in range(1, 5):
        assert c.inputs(l) == ('E{}'.format(l), 'D{}'.format(l + 1))
    assert c.n_connections == 10


def test_fcn():
    for L in (1, 5, 9):
        c = Connectivity.fcn(L)
        assert c.stages == (1,)
        assert c.inputs(1) == ('E{}'.format(L), 'G')


def test_sparseacn_mobilenetv2():
    # written out by hand: E_l, G and D_{l+1}, D_{l+2}, D_{l+4}, D_{l+8}
    c = Connectivity.sparseacn(9)
    expected = {
        9: ('E9', 'G'),
        8: ('E8', 'D9', 'G'),
        7: ('E7', 'D8', 'D9', 'G'),
        6: ('E6', 'D7', 'D8', 'G'),
        5: ('E5', 'D6', 'D7', 'D9', 'G'),
        4: ('E4', 'D5', 'D6', 'D8', 'G'),
        3: ('E3', 'D4', 'D5', 'D7', 'G'),
        2: ('E2', 'D3', 'D4', 'D6', 'G'),
        1: ('E1', 'D2', 'D3', 'D5', 'D9', 'G'),
    }
    assert {l: c.inputs(l) for l in c.stages} == expected
    assert c.n_connections == 39


@pytest.mark.parametrize('L', [1, 2, 5, 12])
def test_sparseacn_offsets_are_powers_of_two(L):
    c = Connectivity.sparseacn(L)
    assert c.stages == tuple(range(L, 0, -1))
    for l in c.stages:
        offsets = [int(n[1:]) - l for n in c.inputs(l) if n[0] == 'D']
        assert offsets == [2 ** j for j in range(len(offsets))]
        assert l + 2 ** len(offsets) > L  # no power of two left out
        assert [n for n in c.inputs(l) if n[0] != 'D'] == \
            ['E{}'.format(l), 'G']


def _is_valid(c):
    # what pruning leaves: every stage has inputs (the constructor checks
    # D_1 and that D reads exist), every stage but D_1 is read
    read = {int(n[1:]) for l in c.stages for n in c.inputs(l) if n[0] == 'D'}
    return all(c.inputs(l) for l in c.stages) and \
        set(c.stages) - {1} <= read


@pytest.mark.parametrize('L', [1, 2, 3, 5])
def test_random_every_count_is_valid_and_exact(L):
    for n in range(1, L * (L + 1) + 1):
        for seed in range(3):
            c = Connectivity.random(L, n, seed)
            assert c.n_connections == n
            assert c.n_stages == L
            assert _is_valid(c), c


def test_random_mobilenetv2():
    seen = set()
    for seed in range(20):
        c = Connectivity.random(9, 15, seed)
        assert c.n_connections == 15 and _is_valid(c)
        # a fixed point of the pruning rules
        assert prune_stages({l: set(c.inputs(l)) for l in c.stages}, 9) == c
        assert Connectivity.random(9, 15, seed) == c  # a function of the seed
        seen.add(c.to_yaml())
    assert len(seen) == 20
    assert Connectivity.random(9, 90, 0) == Connectivity.full(9)
    # the stages vary too
    assert len({Connectivity.random(9, 15, s).stages
                for s in range(20)}) > 5


@pytest.mark.parametrize('n', [0, 13, -1, 2.0, True])
def test_random_bad_counts(n):
    with pytest.raises(ValueError, match='1 to 12 connections'):
        Connectivity.random(3, n)


@pytest.mark.parametrize('c', [Connectivity.full(9), Connectivity.unet(5),
                               Connectivity.from_yaml(PAPER_ARCH)])
def test_yaml_round_trip_is_identity(c, tmp_path):
    path = str(tmp_path / 'arch.yaml')
    text = c.to_yaml(path)
    assert Connectivity.from_yaml(path) == c
    assert Connectivity.from_yaml(text) == c
    assert Connectivity.from_yaml(path).to_yaml() == text


def test_paper_architecture():
    # decoded from the authors' released mask (see tests/test_prune.py)
    c = Connectivity.from_yaml(PAPER_ARCH)
    assert c.n_stages == 9
    assert c.n_connections == 15
    assert c.stages == (8, 7, 6, 1)
    assert c.inputs(8) == ('E9', 'G')
    assert c.inputs(7) == ('E7', 'G')
    assert c.inputs(6) == ('E6', 'G')
    assert c.inputs(1) == ('E1', 'E6', 'E7', 'E8', 'E9', 'D6', 'D7', 'D8',
                           'G')


def test_inputs_are_kept_in_canonical_order():
    c = Connectivity(3, {1: ['G', 'D2', 'E3', 'E1'], 2: ['G']})
    assert c.inputs(1) == ('E1', 'E3', 'D2', 'G')


def _load(stages, n_stages=5):
    return Connectivity.from_yaml(yaml.safe_dump(
        {'n_stages': n_stages, 'stages': stages}) + '\n')


@pytest.mark.parametrize('stages, words', [
    ({'D1': ['E1', 'X3']}, ['D1', 'X3']),
    ({'D1': ['E1', 'e2']}, ['D1', 'e2']),
    ({'D2': ['E1'], 'D1': ['E1']}, ['D2', 'E1']),
    ({'D2': ['E2', 'D2'], 'D1': ['D2']}, ['D2', 'D2', 'D3..D5']),
    ({'D2': ['E2', 'D1'], 'D1': ['E1']}, ['D2', 'D1']),
    ({'D1': ['E6']}, ['D1', 'E6']),
    ({'D1': ['D3', 'E1']}, ['D1', 'D3', 'does not exist']),
    ({'D7': ['G'], 'D1': ['E1']}, ['D7']),
    ({'Q1': ['G'], 'D1': ['E1']}, ['Q1']),
    ({'D2': ['G']}, ['D1']),
    ({'D1': ['E1', 'E1']}, ['D1', 'twice']),
])
def test_bad_yaml_names_stage_and_input(stages, words):
    with pytest.raises(ValueError) as e:
        _load(stages)
    for w in words:
        assert w in str(e.value)


def test_bad_yaml_unknown_key_and_file(tmp_path):
    with pytest.raises(ValueError, match='unknown key.*n_stage'):
        Connectivity.from_yaml('n_stage: 5\nstages: {D1: [E1]}\n')
    with pytest.raises(ValueError, match='missing.yaml'):
        Connectivity.from_yaml(str(tmp_path / 'missing.yaml'))
    path = tmp_path / 'broken.yaml'
    path.write_text('n_stages: 5\nstages: {D1: [E1\n')
    with pytest.raises(ValueError, match='broken.yaml'):
        Connectivity.from_yaml(str(path))


def test_stage_listed_twice_names_file_stage_and_both_lines(tmp_path):
    # PyYAML would keep the second D1 and silently drop the first
    path = tmp_path / 'arch.yaml'
    path.write_text('n_stages: 3\nstages:\n  D2: [E2, G]\n  D1: [E1]\n'
                    '  D3: [E3]\n  D1: [E1, D2]\n')
    with pytest.raises(ValueError) as e:
        Connectivity.from_yaml(str(path))
    assert str(e.value) == \
        "{}: key 'D1' appears twice (lines 4 and 6)".format(path)
    with pytest.raises(ValueError) as e:
        Connectivity.from_yaml('n_stages: 3\nstages: {D1: [E1]}\n'
                               'n_stages: 2\n')
    assert str(e.value) == \
        "connectivity YAML: key 'n_stages' appears twice (lines 1 and 3)"


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = str(tmp_path / 'arch.yaml')
    Connectivity.full(2).to_yaml(path)
    before = open(path).read()

    def fail(*args):
        raise OSError('disk full')
    monkeypatch.setattr(os, 'replace', fail)
    with pytest.raises(OSError):
        Connectivity.full(3).to_yaml(path)
    assert open(path).read() == before
    assert os.listdir(str(tmp_path)) == ['arch.yaml']
