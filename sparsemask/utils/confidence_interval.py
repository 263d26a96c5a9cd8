"""The Student's t confidence interval of the mean of a few results."""

import math

from scipy import stats


def confidence_interval(values, confidence=0.95):
    """The mean of a few results and its Student's t confidence interval.

    The half width is ``t * std / sqrt(n)``, with ``t`` the
    ``0.5 + confidence / 2`` quantile of Student's t distribution with
    ``n - 1`` degrees of freedom and ``std`` the sample standard deviation
    (``n - 1`` in the denominator).

    Args:
        values (sequence of float): the results, e.g. one per seed; None
            entries (a failed run) are dropped.
        confidence (float): the confidence level, in (0, 1).

    Returns:
        dict: ``n`` (the values that are not None), ``mean``, ``std``,
        ``half_width``, ``low`` and ``high`` (``mean -/+ half_width``) and
        ``confidence``. With one value, ``std``, ``half_width``, ``low``
        and ``high`` are None; with none, ``mean`` is None too.

    Raises:
        ValueError: ``confidence`` is not in (0, 1).

    """
    if not 0 < confidence < 1:
        raise ValueError(
            'confidence must be in (0, 1), not {!r}'.format(confidence))
    values = [float(v) for v in values if v is not None]
    n = len(values)
    result = {'n': n, 'mean': None, 'std': None, 'half_width': None,
              'low': None, 'high': None, 'confidence': confidence}
    if n == 0:
        return result
    mean = math.fsum(values) / n
    result['mean'] = mean
    if n < 2:
        return result
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    t = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    half_width = t * std / math.sqrt(n)
    result.update(std=std, half_width=half_width, low=mean - half_width,
                  high=mean + half_width)
    return result
