"""The t confidence interval of a mean, against t-table values and NumPy
(:mod:`sparsemask.utils.confidence_interval`)."""

import math

import numpy
import pytest

from sparsemask.utils.confidence_interval import confidence_interval


# two-sided 95% (0.975 quantile) and 90% (0.95 quantile) values of a
# printed t table
T_975 = {2: 4.3027, 4: 2.7764, 9: 2.2622}
T_95_4 = 2.1318


def _check(ci, values, t, confidence=0.95):
    values = numpy.asarray(values, dtype=numpy.float64)
    n = len(values)
    mean = values.mean()
    std = values.std(ddof=1)
    half = t * std / math.sqrt(n)
    assert ci['n'] == n
    assert ci['confidence'] == confidence
    assert ci['mean'] == pytest.approx(mean, rel=1e-12)
    assert ci['std'] == pytest.approx(std, rel=1e-12)
    # the table has 5 significant digits
    assert ci['half_width'] == pytest.approx(half, rel=1e-4)
    assert ci['low'] == pytest.approx(mean - half, rel=1e-4)
    assert ci['high'] == pytest.approx(mean + half, rel=1e-4)
    assert ci['low'] == pytest.approx(ci['mean'] - ci['half_width'])
    assert ci['high'] == pytest.approx(ci['mean'] + ci['half_width'])


def test_five_values_by_hand():
    ci = confidence_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    # mean 3, std sqrt(10 / 4), half width 2.7764 * 1.5811 / sqrt(5)
    assert ci['mean'] == 3.0
    assert ci['std'] == pytest.approx(math.sqrt(2.5))
    assert ci['half_width'] == pytest.approx(1.9632, abs=1e-4)
    assert ci['low'] == pytest.approx(1.0368, abs=1e-4)
    assert ci['high'] == pytest.approx(4.9632, abs=1e-4)
    _check(ci, [1, 2, 3, 4, 5], T_975[4])


def test_three_and_ten_values_against_the_t_table():
    values = [0.71, 0.69, 0.74]
    _check(confidence_interval(values), values, T_975[2])
    values = numpy.random.RandomState(0).uniform(0.6, 0.8, 10).tolist()
    _check(confidence_interval(values), values, T_975[9])


def test_other_confidence_level():
    values = [0.52, 0.55, 0.49, 0.61, 0.50]
    ci = confidence_interval(values, confidence=0.9)
    _check(ci, values, T_95_4, confidence=0.9)
    # narrower than at 95%
    assert ci['half_width'] < confidence_interval(values)['half_width']


def test_none_entries_are_dropped():
    ci = confidence_interval([0.71, None, 0.69, 0.74, None])
    _check(ci, [0.71, 0.69, 0.74], T_975[2])
    assert ci == confidence_interval([0.71, 0.69, 0.74])


def test_one_value_has_no_interval():
    ci = confidence_interval([0.7, None])
    assert ci == {'n': 1, 'mean': 0.7, 'std': None, 'half_width': None,
                  'low': None, 'high': None, 'confidence': 0.95}


def test_no_values():
    for values in ([], [None, None]):
        assert confidence_interval(values, 0.9) == {
            'n': 0, 'mean': None, 'std': None, 'half_width': None,
            'low': None, 'high': None, 'confidence': 0.9}


def test_equal_values_have_a_zero_width_interval():
    ci = confidence_interval([0.5, 0.5, 0.5])
    assert ci['std'] == 0.0
    assert ci['low'] == ci['high'] == 0.5


@pytest.mark.parametrize('confidence', [0, 1, 1.5, -0.2, 95])
def test_confidence_out_of_range(confidence):
    with pytest.raises(ValueError) as e:
        confidence_interval([1.0, 2.0], confidence)
    assert repr(confidence) in str(e.value)
    assert '(0, 1)' in str(e.value)
