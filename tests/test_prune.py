import os

import numpy
import pytest

from sparsemask import Connectivity
from sparsemask import prune
from sparsemask.prune import prune_stages


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER_ARCH = os.path.join(ROOT, 'configs', 'arch',
                          'sparsemask_mobilenetv2_voc.yaml')


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
    paper = _released_architecture()
    w = {l: {n: (2.666e-2 if l in paper.stages and n in paper.inputs(l)
                 else 1.342e-4) for n in full.inputs(l)}
         for l in full.stages}
    assert prune(w, sigma=1e-3) == paper
    assert prune(w, sigma=1e-3, merge=True) == paper
    assert paper == Connectivity.from_yaml(PAPER_ARCH)


# The authors' prune(), sparse_mask_train_mode.py of wuhuikai/SparseMask
# (commit 2d65213, lines 121-165), transcribed as faithfully as possible:
# np is numpy, np.bool is bool, and it takes the weights already in [0, 1]
# (theirs first computes np.clip(np.abs(w), 0, 2) / 2 from the model).
# weights[idx] is stage D(idx+1), shape (L - idx, 2); row r: [r, 0] reads
# E(L-r), [r, 1] reads G for r == 0, else D(L+1-r). It returns one (L, 2)
# block per stage, coarsest first (block d: stage D(L-d)), like their
# released mask.
def _authors_prune(weights, thres=None, rm_duplicate=True, rm_subset=True):
    masks = []
    for idx, weight in enumerate(weights):
        mask = weight > thres
        if idx == 0:
            mask_history = weight > thres
        if idx > 0:
            mask *= mask_history[-idx][1]
            mask_history[:-idx] |= mask
        masks.append(mask)

    n_d = len(weights)
    total_mask = numpy.zeros([n_d, n_d, 2], dtype=bool)
    for idx, mask in enumerate(masks):
        total_mask[idx][:n_d-idx] |= mask

    # remove duplicate
    if rm_duplicate:
        for i in range(n_d-1, 0, -1):
            mask_i = total_mask[i]
            if not numpy.any(mask_i):
                total_mask[:, n_d-i, 1] = False
                continue
            for j in range(i-1, 0, -1):
                mask_j = total_mask[j]
                if numpy.all(mask_i == mask_j):
                    total_mask[j] = False
                    total_mask[:, n_d-i, 1] |= total_mask[:, n_d-j, 1]

    # remove sub set
    if rm_subset:
        for i in range(1, n_d-1):
            mask_i = total_mask[i]
            if not numpy.any(mask_i):
                continue
            for j in range(i+1, n_d):
                mask_j = total_mask[j]
                if numpy.all(mask_i*mask_j == mask_j) and numpy.all(
                        total_mask[:, n_d-i, 1] * total_mask[:, n_d-j, 1]
                        == total_mask[:, n_d-j, 1]):
                    total_mask[:, n_d-j, 1] = False
                    total_mask[j] = False

    return total_mask[::-1]


def _mask_name(L, r, b):
    if b == 0:
        return 'E{}'.format(L - r)
    return 'G' if r == 0 else 'D{}'.format(L + 1 - r)


def _to_authors_weights(weights, L):
    # our {l: {name: w}} -> their per-stage arrays, finest stage first
    arrays = []
    for l in range(1, L + 1):
        a = numpy.zeros((L - l + 1, 2))
        for r in range(L - l + 1):
            for b in range(2):
                a[r, b] = weights.get(l, {}).get(_mask_name(L, r, b), 0.0)
        arrays.append(a)
    return arrays


def _mask_inputs(mask):
    # their (L, L, 2) output -> {l: set of names}, every stage present
    L = len(mask)
    return {L - d: {_mask_name(L, r, b) for r, b in zip(*numpy.nonzero(
        mask[d]))} for d in range(L)}


def _authors_architecture(weights, L, sigma, merge=True):
    """Their prune, then our rules 2 and 3 (their output may keep a stage
    that only a removed stage read); 'error' if nothing reaches D1."""
    mask = _authors_prune(_to_authors_weights(weights, L), sigma,
                          rm_duplicate=merge, rm_subset=merge)
    return _or_error(lambda: prune_stages(_mask_inputs(mask), L))


def _or_error(f):
    try:
        return f()
    except ValueError as e:
        assert 'D1' in str(e)
        return 'error'


def _old_merge_prune(weights, sigma, L):
    # what prune(merge=True) did at 4d1f859: the finer stage whose inputs
    # are a subset of (or equal to) a coarser stage's goes, and its readers
    # read the coarser one, repeated until nothing changes
    inputs = {l: {n for n, w in c.items() if w >= sigma}
              for l, c in weights.items()}
    c = prune_stages(inputs, L)
    changed = True
    while changed:
        changed = False
        inputs = {l: set(c.inputs(l)) for l in c.stages}
        for l in sorted(inputs):
            for m in sorted(inputs, reverse=True):
                if l != 1 and m > l and inputs[l] <= inputs[m]:
                    old, new = 'D{}'.format(l), 'D{}'.format(m)
                    del inputs[l]
                    for names in inputs.values():
                        if old in names:
                            names.discard(old)
                            names.add(new)
                    changed = True
                    break
            if changed:
                break
        c = prune_stages(inputs, L)
    return c


# The mask the authors released, search_checkpoint/mask_thres_0.001.npy
# (commit 2d65213; their prune.py saves prune(model, 0.001) with both
# merges): the True entries of the (9, 9, 2) bool array (row d: stage
# D(9-d)).
RELEASED_MASK_TRUE = [
    (1, 0, 0), (1, 0, 1), (2, 0, 1), (2, 2, 0), (3, 0, 1), (3, 3, 0),
    (8, 0, 0), (8, 0, 1), (8, 1, 0), (8, 2, 0), (8, 2, 1), (8, 3, 0),
    (8, 3, 1), (8, 4, 1), (8, 8, 0)]


def _released_mask():
    mask = numpy.zeros((9, 9, 2), dtype=bool)
    mask[tuple(numpy.array(RELEASED_MASK_TRUE).T)] = True
    return mask


def _released_architecture():
    inputs = {l: names for l, names in _mask_inputs(_released_mask()).items()
              if names}
    return Connectivity(9, inputs)


def test_released_mask_is_the_architecture_file():
    c = _released_architecture()
    assert c == Connectivity.from_yaml(PAPER_ARCH)
    assert c.n_connections == 15
    assert c.stages == (8, 7, 6, 1)
    assert c.inputs(8) == ('E9', 'G')
    assert c.inputs(1) == ('E1', 'E6', 'E7', 'E8', 'E9', 'D6', 'D7', 'D8',
                           'G')


def test_released_mask_is_a_fixed_point_of_the_authors_prune():
    # their prune (with both merges) returned this mask: applying it again
    # to the mask read as weights changes nothing, and our prune agrees
    mask = _released_mask()
    weights = [mask[8 - idx][:9 - idx].astype(float) for idx in range(9)]
    numpy.testing.assert_array_equal(_authors_prune(weights, 0.5), mask)
    ours = {l: {n: float(n in names) for n in Connectivity.full(9).inputs(l)}
            for l, names in _mask_inputs(mask).items()}
    for merge in (False, True):
        assert prune(ours, sigma=0.5, merge=merge) == \
            Connectivity.from_yaml(PAPER_ARCH)


def _all_or_nothing(L, kept):
    full = Connectivity.full(L)
    return {l: {n: 1.0 if n in kept.get(l, ()) else 0.0
                for n in full.inputs(l)} for l in full.stages}


# name: (L, inputs kept by rule 1, architecture after the merges, whether
# the old rule (finer stage goes, readers redirected) gives another one)
MERGE_CASES = {
    # D3's inputs are a subset of the coarser D4's. The authors remove a
    # coarser stage only: nothing changes. (The old rule removed D3 and
    # made D2 read D4.)
    'finer_subset_is_kept': (
        4, {4: ['E4', 'G'], 3: ['G'], 2: ['E2', 'D3'], 1: ['E1', 'D2', 'D4']},
        {4: ['E4', 'G'], 3: ['G'], 2: ['E2', 'D3'], 1: ['E1', 'D2', 'D4']},
        True),
    # D4 <- G is a subset of the finer D3 <- E3, G and D4's readers ({D1})
    # a subset of D3's: D4 goes and D1 stops reading it (no redirect). The
    # old rule kept both.
    'coarser_subset_goes': (
        4, {4: ['G'], 3: ['E3', 'G'], 1: ['E1', 'D3', 'D4']},
        {3: ['E3', 'G'], 1: ['E1', 'D3']},
        True),
    # the same inputs, but D4 is read by D2, which does not read D3: kept
    'coarser_subset_with_other_readers_is_kept': (
        4, {4: ['G'], 3: ['E3', 'G'], 2: ['E2', 'D4'], 1: ['E1', 'D2', 'D3']},
        {4: ['G'], 3: ['E3', 'G'], 2: ['E2', 'D4'], 1: ['E1', 'D2', 'D3']},
        False),
    # the subset loop goes finest i first: i = 2 removes D4 (D2 has its
    # inputs and readers), so D5's readers are then D2 alone, and i = 3
    # removes D5 (D3 has its inputs and the reader D2). Going coarsest i
    # first, D5 is still read by D4 when compared and stays.
    'subset_loop_goes_finest_first': (
        5, {5: ['E5'], 4: ['E4', 'E5', 'D5'], 3: ['E5', 'G'],
            2: ['E2', 'E4', 'E5', 'D3', 'D5'], 1: ['E1', 'D2', 'D4']},
        {3: ['E5', 'G'], 2: ['E2', 'E4', 'E5', 'D3'], 1: ['E1', 'D2']},
        True),
    # duplicates: the finer D3 goes, its reader D2 reads D4 instead (the
    # old rule did the same)
    'duplicate_finer_goes': (
        4, {4: ['E4', 'G'], 3: ['E4', 'G'], 2: ['E2', 'D3'],
            1: ['E1', 'D2', 'D4']},
        {4: ['E4', 'G'], 2: ['E2', 'D4'], 1: ['E1', 'D2', 'D4']},
        False),
    # D4's only input is below sigma. Their duplicate loop meets D5 before
    # D4 is dropped (rule 2), so D3 still reads D4 and is no duplicate of
    # D5. Then the subset rule removes the coarser D5 (D3 has its inputs
    # and readers). The old rule dropped D4 first and merged D3 into D5.
    'rule2_is_applied_as_their_loop_reaches_the_stage': (
        5, {5: ['E5', 'G'], 4: [], 3: ['E5', 'G', 'D4'],
            1: ['E1', 'D3', 'D5']},
        {3: ['E5', 'G'], 1: ['E1', 'D3']},
        True),
    # D3 duplicates D5 and goes; its reader D2 then reads D5 but, in their
    # code, still reads D3 until the loop reaches D3, so D2 is no duplicate
    # of D4 <- D5 when D4 is compared. The subset rule then removes D4 (D2
    # has its inputs and readers). Dropping D2's read of D3 at once, or the
    # old rule, would merge D2 into D4 instead.
    'duplicate_readers_keep_the_removed_stage_until_the_loop_reaches_it': (
        5, {5: ['E5', 'G'], 4: ['D5'], 3: ['E5', 'G'], 2: ['D3'],
            1: ['E1', 'D2', 'D4']},
        {5: ['E5', 'G'], 2: ['D5'], 1: ['E1', 'D2']},
        True),
}


@pytest.mark.parametrize('case', sorted(MERGE_CASES))
def test_merge_follows_the_authors_code(case):
    L, kept, expected, old_differs = MERGE_CASES[case]
    w = _all_or_nothing(L, kept)
    expected = Connectivity(L, expected)
    assert prune(w, sigma=0.5, merge=True) == expected
    assert _authors_architecture(w, L, 0.5) == expected
    assert (_old_merge_prune(w, 0.5, L) != expected) == old_differs


def _random_weights(rng, L, sigma):
    # Random architectures rich in merges: some stages are empty, many reuse
    # part of a coarser stage's inputs, and G, E_L, E_(L-1) and the decoder
    # stages are read more often than the other encoder stages.
    full = Connectivity.full(L)
    common = {'G', 'E{}'.format(L), 'E{}'.format(L - 1)}
    kept = {}
    for l in range(L, 0, -1):
        u = rng.rand()
        if u < 0.15 and l > 1:
            kept[l] = set()
            continue
        coarser = sorted(m for m in kept if kept[m])
        s = set()
        if coarser and u < 0.45:
            src = sorted(kept[coarser[rng.randint(len(coarser))]])
            s = {n for n in src if rng.rand() < 0.8}
        for n in full.inputs(l):
            p = 0.5 if n in common else 0.3 if n[0] == 'D' else 0.08
            if rng.rand() < p:
                s.add(n)
        kept[l] = s
    return {l: {n: rng.uniform(sigma, 1) if n in kept[l]
                else rng.uniform(0, sigma) for n in full.inputs(l)}
            for l in full.stages}


@pytest.mark.parametrize('L', [9, 5])
def test_merge_matches_the_authors_code_on_random_weights(L):
    rng = numpy.random.RandomState(L)
    sigma = 1e-3
    n, merged, old_differs = 300, 0, 0
    for _ in range(n):
        w = _random_weights(rng, L, sigma)
        theirs = _authors_architecture(w, L, sigma)
        ours = _or_error(lambda: prune(w, sigma=sigma, merge=True))
        assert ours == theirs, w
        # without merges their rule 3 (one pass) and rule 2 are ours
        plain = _or_error(lambda: prune(w, sigma=sigma))
        assert plain == _authors_architecture(w, L, sigma, merge=False)
        merged += plain != theirs
        old_differs += _or_error(lambda: _old_merge_prune(w, sigma, L)) \
            != theirs
    # the weights exercise the merges, and tell the old rule apart
    assert merged > n // 20
    assert old_differs > n // 20


def test_bad_names_are_rejected():
    with pytest.raises(ValueError, match='X1'):
        prune({1: {'E1': 1.0, 'X1': 1.0}})


# --- top-k pruning (train.search_loss: topk, MaskConnect-style) ----------


def _top(conns, k):
    # independent reference: canonical order (E, D finest first, then G),
    # rank by (-weight, position)
    def key(name):
        kind = name[0]
        return ({'E': 0, 'D': 1, 'G': 2}[kind],
                int(name[1:]) if kind != 'G' else 0)
    names = sorted(conns, key=key)
    ranked = sorted(range(len(names)),
                    key=lambda t: (-conns[names[t]], t))
    return {names[t] for t in ranked[:k]}


@pytest.mark.parametrize('L', [3, 5, 9])
@pytest.mark.parametrize('k', [1, 2, 3, 4])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_topk_keeps_exactly_k_inputs_per_kept_stage(L, k, seed):
    rng = numpy.random.RandomState(seed)
    full = Connectivity.full(L)
    # rounded weights, so that some tie; some below sigma
    weights = {l: {n: float(rng.randint(0, 5)) / 4 * 1e-2 ** rng.randint(2)
                   for n in full.inputs(l)} for l in full.stages}
    c = prune(weights, sigma=0.5, n_stages=L, topk=k)
    assert 1 in c.stages
    for l in c.stages:
        assert len(c.inputs(l)) == min(k, 2 * (L - l + 1))
        assert set(c.inputs(l)) == _top(weights[l], k)
    # the stages dropped are exactly those nobody reads (rule 3)
    expected = prune_stages({l: _top(weights[l], k) for l in full.stages}, L)
    assert c == expected


def test_topk_ignores_sigma_and_ties_go_to_the_earlier_input():
    weights = {1: {'E1': 1e-5, 'E2': 1e-5, 'D2': 1e-5, 'G': 0.0},
               2: {'E2': 0.5, 'G': 0.5}}
    c = prune(weights, sigma=0.1, topk=2)
    assert c.inputs(1) == ('E1', 'E2')
    assert c.stages == (1,)  # nobody reads D2
    c = prune(weights, sigma=0.1, topk=3)
    assert c.inputs(1) == ('E1', 'E2', 'D2')
    assert c.inputs(2) == ('E2', 'G')


def test_topk_does_not_depend_on_the_order_of_the_dict():
    # load_connection_weights returns names sorted as strings
    # (D2 < E1 < G), connection_weights the canonical order
    canonical = {1: {'E1': 0.5, 'E2': 0.5, 'D2': 0.5, 'G': 0.5},
                 2: {'E2': 1.0, 'G': 1.0}}
    shuffled = {1: {'G': 0.5, 'D2': 0.5, 'E2': 0.5, 'E1': 0.5},
                2: {'G': 1.0, 'E2': 1.0}}
    assert prune(canonical, topk=2) == prune(shuffled, topk=2)
    assert prune(shuffled, topk=2).inputs(1) == ('E1', 'E2')
