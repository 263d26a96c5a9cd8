import pytest

from sparsemask import Connectivity
from sparsemask import prune


def _weights(connectivity, value=1.0, **overrides):
    w = {l: {n: value for n in connectivity.inputs(l)}
         for l in connectivity.stages}
    for key, v in overrides.items():
        l, name = key.split('_')
        w[int(l[1:])][name] = v
    return w


def test_nothing_below_sigma_keeps_the_full_fdn():
    full = Connectivity.full(4)
    assert prune(_weights(full)) == full


def test_rule1_drops_connections_below_sigma():
    full = Connectivity.full(3)
    w = _weights(full, D1_E2=5e-4, D2_G=0.0, D1_D3=1e-3)
    c = prune(w, sigma=1e-3)
    assert 'E2' not in c.inputs(1)
    assert 'D3' in c.inputs(1)  # w == sigma is kept: the rule is w < sigma
    assert 'G' not in c.inputs(2)
    assert c.n_connections == full.n_connections - 2


def test_rule2_drops_stages_without_inputs_and_their_readers_links():
    full = Connectivity.full(3)
    w = _weights(full, D2_E2=0.0, D2_E3=0.0, D2_D3=0.0, D2_G=0.0)
    c = prune(w)
    assert 2 not in c.stages
    assert 'D2' not in c.inputs(1)
    assert c.stages == (3, 1)


def test_rule3_drops_stages_nobody_reads():
    full = Connectivity.full(3)
    w = _weights(full, D1_D2=0.0)  # D2 is read only by D1
    c = prune(w)
    assert c.stages == (3, 1)
    assert c.inputs(1) == ('E1', 'E2', 'E3', 'D3', 'G')


def test_cascade_stage_dropped_because_its_only_reader_was_dropped():
    # D3 is read only by D2; D2 is read only by D1 and D1 drops D2. Then
    # D2 goes (rule 3) and with it the only reader of D3, so D3 goes too.
    c = Connectivity(3, {3: ['E3', 'G'], 2: ['E2', 'D3'], 1: ['E1', 'D2']})
    w = _weights(c, D1_D2=1e-5)
    out = prune(w)
    assert out.stages == (1,)
    assert out.inputs(1) == ('E1',)


def test_cascade_of_empty_stages():
    # D3 loses every input (rule 2); D2 read only D3, so it becomes empty
    # too; D1 keeps its encoder input.
    c = Connectivity(3, {3: ['E3'], 2: ['D3'], 1: ['E1', 'D2']})
    out = prune(_weights(c, D3_E3=0.0))
    assert out.stages == (1,)


def test_head_stage_is_kept_without_readers():
    c = prune(_weights(Connectivity.full(2)))
    assert 1 in c.stages


def test_error_when_nothing_reaches_the_head():
    full = Connectivity.full(3)
    w = _weights(full, value=1e-4)
    with pytest.raises(ValueError, match='D1'):
        prune(w)
    # D1 reads only a stage that dies: nothing reaches the head either
    c = Connectivity(3, {3: ['E3'], 1: ['D3']})
    with pytest.raises(ValueError, match='D1'):
        prune(_weights(c, D3_E3=0.0))


def test_the_paper_numbers_separate_kept_from_dropped():
    # Largest dropped weight 1.342e-4, smallest kept 2.666e-2 (Sec. 4.2).
    full = Connectivity.full(9)
    paper = Connectivity.from_yaml(
        'n_stages: 9\nstages:\n  D9: [E9, G]\n  D7: [E7, G]\n'
        '  D6: [E6, G]\n  D1: [E4, E6, E7, E8, E9, D6, D7, D9, G]\n')
    w = {l: {n: (2.666e-2 if l in paper.stages and n in paper.inputs(l)
                 else 1.342e-4) for n in full.inputs(l)}
         for l in full.stages}
    assert prune(w, sigma=1e-3) == paper


def test_merge_option():
    # D3's inputs are a subset of the coarser D4's: with merge=True D3 goes
    # and its reader D2 reads D4 instead.
    c = Connectivity(4, {4: ['E4', 'G'], 3: ['G'], 2: ['E2', 'D3'],
                         1: ['E1', 'D2', 'D4']})
    w = _weights(c)
    assert prune(w) == c
    merged = prune(w, merge=True)
    assert merged.stages == (4, 2, 1)
    assert merged.inputs(2) == ('E2', 'D4')
    assert merged.inputs(1) == ('E1', 'D2', 'D4')


def test_bad_names_are_rejected():
    with pytest.raises(ValueError, match='X1'):
        prune({1: {'E1': 1.0, 'X1': 1.0}})
