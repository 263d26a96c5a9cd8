"""The difference of two settings trained with the same seeds."""

from sparsemask.utils.confidence_interval import confidence_interval


def paired_difference(a, b, confidence=0.95):
    """The per-seed differences ``a - b`` and the confidence interval of
    their mean.

    Pairing by seed removes the variation the two settings share (the
    initialisation, the order of the examples), so a difference smaller
    than either spread may still be told apart.

    Args:
        a (dict): seed -> result (e.g. the val mIoU) of one setting; None
            for a failed run.
        b (dict): seed -> result of the other.
        confidence (float): the confidence level, in (0, 1).

    Returns:
        dict: ``seeds`` (those with a result in both, sorted), ``n``,
        ``mean``, ``std``, ``half_width``, ``low``, ``high`` and
        ``confidence`` of the differences (as :func:`confidence_interval`
        gives them), ``wins`` and ``losses`` (the seeds where ``a`` is
        above ``b`` and below it) and ``separated`` (whether the interval
        excludes 0; None for fewer than two seeds).

    Raises:
        ValueError: ``confidence`` is not in (0, 1).

    """
    seeds = sorted(s for s in a if s in b
                   and a[s] is not None and b[s] is not None)
    diffs = [float(a[s]) - float(b[s]) for s in seeds]
    result = {'seeds': seeds}
    result.update(confidence_interval(diffs, confidence))
    result['wins'] = sum(1 for d in diffs if d > 0)
    result['losses'] = sum(1 for d in diffs if d < 0)
    if result['n'] < 2:
        result['separated'] = None
    else:
        result['separated'] = result['low'] > 0 or result['high'] < 0
    return result
