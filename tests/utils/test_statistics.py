"""The statistics of repeated trainings and searches, checked by hand
(:mod:`sparsemask.utils.statistics`)."""

import math

import pytest

from sparsemask.connectivity import Connectivity
from sparsemask.utils import statistics as stats


def test_mean_and_sample_std_by_hand():
    mean, std = stats.mean_std([0.5, 0.7, 0.6])
    assert mean == pytest.approx(0.6)
    # ((-0.1)^2 + 0.1^2 + 0^2) / (3 - 1) = 0.01
    assert std == pytest.approx(0.1)
    mean, std = stats.mean_std([1, 2, 3, 4])
    assert mean == 2.5
    assert std == pytest.approx(math.sqrt(5.0 / 3.0))   # not sqrt(5/4)
    assert stats.mean_std([0.3]) == (0.3, None)
    assert stats.mean_std([]) == (None, None)


def test_jaccard_by_hand():
    assert stats.jaccard({'a', 'b', 'c'}, {'b', 'c', 'd'}) == 0.5
    assert stats.jaccard({'a'}, {'a'}) == 1.0
    assert stats.jaccard({'a'}, {'b'}) == 0.0
    assert stats.jaccard(set(), set()) == 1.0
    assert stats.jaccard(['a', 'b'], ['a']) == 0.5


def test_pairwise_jaccard_and_selection_frequency_by_hand():
    sets = [{'a', 'b'}, {'a', 'c'}, {'a', 'b', 'd'}]
    assert stats.pairwise_jaccard(sets) == [
        (0, 1, pytest.approx(1 / 3)),     # {a} / {a, b, c}
        (0, 2, pytest.approx(2 / 3)),     # {a, b} / {a, b, d}
        (1, 2, pytest.approx(1 / 4)),     # {a} / {a, b, c, d}
    ]
    freq = stats.selection_frequency(sets)
    assert list(freq) == ['a', 'b', 'c', 'd']   # most frequent first
    assert freq == {'a': 1.0, 'b': pytest.approx(2 / 3),
                    'c': pytest.approx(1 / 3), 'd': pytest.approx(1 / 3)}
    assert stats.selection_frequency([]) == {}


def test_connection_names():
    c = Connectivity(9, {9: ['E9', 'G'], 1: ['E1', 'D9']})
    assert stats.connection_names(c) == {'D9<-E9', 'D9<-G', 'D1<-E1',
                                         'D1<-D9'}


def _log(losses, interval=5):
    # a LogReport log, with an evaluation-only entry in the middle
    entries = [{'iteration': interval * (i + 1), 'main/loss': v}
               for i, v in enumerate(losses)]
    entries.insert(3, {'iteration': 15, 'val/main/miou': 0.5})
    return entries


def test_loss_levelled_by_hand():
    # 20 entries: windows of 2 entries
    losses = [2.0] * 16 + [1.04, 1.02, 1.0, 1.0]
    r = stats.loss_levelled(_log(losses))
    assert r['window'] == 2
    assert r['previous'] == pytest.approx(1.03)
    assert r['last'] == pytest.approx(1.0)
    assert r['relative_change'] == pytest.approx(-0.03 / 1.03)
    assert r['levelled'] is True
    assert r['last_iterations'] == [95, 100]
    assert r['previous_iterations'] == [85, 90]
    # still falling: 1.2 -> 1.0 is -16.7%
    r = stats.loss_levelled(_log([2.0] * 16 + [1.2, 1.2, 1.0, 1.0]))
    assert r['relative_change'] == pytest.approx(-0.2 / 1.2)
    assert r['levelled'] is False
    # rising counts as not levelled either
    r = stats.loss_levelled(_log([2.0] * 16 + [1.0, 1.0, 1.1, 1.1]))
    assert r['levelled'] is False
    # another threshold
    r = stats.loss_levelled(_log([2.0] * 16 + [1.0, 1.0, 1.1, 1.1]),
                            threshold=0.2)
    assert r['levelled'] is True
    # one entry: nothing to compare
    assert stats.loss_levelled(
        [{'iteration': 5, 'main/loss': 1.0}])['levelled'] is None


def test_argmax_first():
    assert stats.argmax_first([0.1, 0.3, 0.3]) == 1
    assert stats.argmax_first([None, float('nan'), 0.2]) == 2
    assert stats.argmax_first([None]) is None


def test_weight_summary_by_hand():
    weights = {9: {'E9': 1.0, 'G': 0.0}, 8: {'E8': 0.0005, 'G': 0.5,
                                             'D9': 0.97},
               1: {'E1': 0.02, 'D9': 0.0}}
    s = stats.weight_summary(weights, sigma=1e-3)
    assert s['n'] == 7
    assert s['zero'] == 2
    assert s['below_sigma'] == 1                # 0.0005
    assert s['middle'] == 1                     # 0.5; 0.02 is below 0.05
    assert s['high'] == 2                       # 1.0, 0.97
    assert s['largest_dropped'] == 0.0005
    assert s['smallest_kept'] == 0.02
    s = stats.weight_summary({1: {'E1': 0.5}}, sigma=1e-3)
    assert s['largest_dropped'] is None and s['smallest_kept'] == 0.5
