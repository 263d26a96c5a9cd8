"""The paired difference of two settings over shared seeds, by hand
(:mod:`sparsemask.utils.paired_difference`)."""

import math

import numpy
import pytest

from sparsemask.utils.paired_difference import paired_difference


T_975_2 = 4.3027   # t table, 2 degrees of freedom
T_975_4 = 2.7764


def test_pairs_only_the_shared_seeds_with_results():
    a = {12: 0.73, 10: 0.71, 11: 0.69, 13: None, 14: 0.80}
    b = {10: 0.70, 11: 0.66, 12: 0.70, 13: 0.50, 15: 0.90}
    d = paired_difference(a, b)
    assert d['seeds'] == [10, 11, 12]
    assert d['n'] == 3
    diffs = numpy.array([0.01, 0.03, 0.03])
    assert d['mean'] == pytest.approx(diffs.mean())
    assert d['std'] == pytest.approx(diffs.std(ddof=1))
    half = T_975_2 * diffs.std(ddof=1) / math.sqrt(3)
    assert d['half_width'] == pytest.approx(half, rel=1e-4)
    assert d['low'] == pytest.approx(diffs.mean() - half, rel=1e-3)
    assert d['high'] == pytest.approx(diffs.mean() + half, rel=1e-4)
    assert d['confidence'] == 0.95
    assert (d['wins'], d['losses']) == (3, 0)
    # a wins every seed but 3 seeds are too few: the interval holds 0
    assert d['low'] < 0 < d['high']
    assert d['separated'] is False


def test_separated_either_way_and_the_sign_of_wins():
    a = {1: 0.72, 2: 0.73, 3: 0.725, 4: 0.722, 5: 0.728}
    b = {1: 0.70, 2: 0.70, 3: 0.70, 4: 0.70, 5: 0.70}
    diffs = numpy.array([0.02, 0.03, 0.025, 0.022, 0.028])
    d = paired_difference(a, b)
    half = T_975_4 * diffs.std(ddof=1) / math.sqrt(5)
    assert d['mean'] == pytest.approx(diffs.mean())
    assert d['half_width'] == pytest.approx(half, rel=1e-4)
    assert d['low'] > 0
    assert d['separated'] is True
    assert (d['wins'], d['losses']) == (5, 0)
    r = paired_difference(b, a)
    assert r['mean'] == pytest.approx(-diffs.mean())
    assert r['high'] < 0
    assert r['separated'] is True
    assert (r['wins'], r['losses']) == (0, 5)


def test_ties_are_neither_wins_nor_losses():
    d = paired_difference({1: 0.5, 2: 0.6, 3: 0.4}, {1: 0.5, 2: 0.5, 3: 0.5})
    assert (d['wins'], d['losses']) == (1, 1)
    assert d['mean'] == pytest.approx(0.0)
    assert d['separated'] is False


def test_fewer_than_two_seeds():
    d = paired_difference({1: 0.7, 2: 0.6}, {1: 0.5, 3: 0.5})
    assert d['seeds'] == [1]
    assert d['n'] == 1
    assert d['mean'] == pytest.approx(0.2)
    assert d['std'] is None and d['low'] is None
    assert d['separated'] is None
    assert d['wins'] == 1
    d = paired_difference({1: 0.7}, {2: 0.5})
    assert d['seeds'] == [] and d['n'] == 0 and d['mean'] is None
    assert d['separated'] is None
    assert (d['wins'], d['losses']) == (0, 0)


def test_confidence_level_passed_on():
    a = {1: 0.72, 2: 0.73, 3: 0.725}
    b = {1: 0.70, 2: 0.70, 3: 0.70}
    assert paired_difference(a, b, 0.9)['confidence'] == 0.9
    assert (paired_difference(a, b, 0.9)['half_width']
            < paired_difference(a, b)['half_width'])
    with pytest.raises(ValueError, match='1.2'):
        paired_difference(a, b, 1.2)
