"""Statistics of repeated trainings and searches
(:mod:`sparsemask.experiments`).

* :func:`mean_std`: the mean and the sample standard deviation of the
  results of several seeds;
* :func:`connection_names`, :func:`jaccard`, :func:`pairwise_jaccard` and
  :func:`selection_frequency`: how far the architectures found by searches
  with different seeds agree;
* :func:`loss_levelled`: whether a training loss has levelled off, from the
  entries of a Chainer ``LogReport`` log;
* :func:`argmax_first`: the best of a grid, the first one on a tie.

Plain Python (no Chainer), so that the numbers can be checked by hand.
"""

import math


def mean_std(values):
    """The mean and the sample standard deviation (``n - 1`` in the
    denominator).

    Args:
        values (sequence of float): the results, e.g. one per seed.

    Returns:
        tuple: ``(mean, std)``; ``std`` is None for fewer than two values,
        both are None for none.

    """
    values = [float(v) for v in values]
    n = len(values)
    if n == 0:
        return None, None
    mean = sum(values) / n
    if n < 2:
        return mean, None
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(var)


def connection_names(connectivity):
    """The connections of an architecture as names ``'D<l><-<input>'``.

    Args:
        connectivity (~sparsemask.Connectivity): the architecture.

    Returns:
        frozenset of str: e.g. ``{'D1<-E1', 'D1<-G'}``.

    """
    return frozenset('D{}<-{}'.format(l, name)
                     for l in connectivity.stages
                     for name in connectivity.inputs(l))


def jaccard(a, b):
    """The Jaccard index ``|a & b| / |a | b|`` of two sets (1 for two
    empty sets).

    Args:
        a (iterable): a set.
        b (iterable): another.

    Returns:
        float: in [0, 1].

    """
    a, b = set(a), set(b)
    union = a | b
    if not union:
        return 1.0
    return len(a & b) / len(union)


def pairwise_jaccard(sets):
    """The Jaccard index of every pair of sets.

    Args:
        sets (sequence of iterables): e.g. the kept connections of each
            search.

    Returns:
        list of tuple: ``(i, j, jaccard(sets[i], sets[j]))`` for ``i < j``.

    """
    sets = [set(s) for s in sets]
    return [(i, j, jaccard(sets[i], sets[j]))
            for i in range(len(sets)) for j in range(i + 1, len(sets))]


def selection_frequency(sets):
    """How often each element is selected, over several selections.

    Args:
        sets (sequence of iterables): e.g. the kept connections of each
            search.

    Returns:
        dict: element -> the fraction of the sets that hold it, for every
        element of at least one set; most frequent first, then by name.

    """
    sets = [set(s) for s in sets]
    if not sets:
        return {}
    counts = {}
    for s in sets:
        for x in s:
            counts[x] = counts.get(x, 0) + 1
    order = sorted(counts, key=lambda x: (-counts[x], str(x)))
    return {x: counts[x] / len(sets) for x in order}


def last_logged(entries, key):
    """The last value of ``key`` in a ``LogReport`` log, as a float; None
    if no entry has it (e.g. a training too short to be evaluated)."""
    values = [float(e[key]) for e in entries if key in e]
    return values[-1] if values else None


def loss_levelled(entries, key='main/loss', fraction=0.1, threshold=0.05):
    """Whether a training loss has levelled off: the mean over the last
    ``fraction`` of the logged values against the mean over the
    ``fraction`` before them.

    Each log entry averages the loss over one log interval, so with a
    constant interval the windows are the last 10% of the iterations and
    the 10% before them (at least one entry each).

    Args:
        entries (list of dict): a ``LogReport`` log (``iteration`` and
            ``key`` in the entries that have the loss).
        key (str): the loss.
        fraction (float): the window, as a fraction of the entries.
        threshold (float): the largest relative change that counts as
            levelled off (either way: a loss still falling faster, or
            rising, has not levelled).

    Returns:
        dict: ``last`` and ``previous`` (the window means),
        ``relative_change`` (``(last - previous) / |previous|``),
        ``levelled`` (``|relative_change| < threshold``; None when the log
        has fewer than two entries or ``previous`` is 0), ``window``
        (entries per window), ``last_iterations`` and
        ``previous_iterations`` (the first and last iteration of each
        window) and ``threshold``.

    """
    values = [(e.get('iteration'), float(e[key])) for e in entries
              if key in e]
    n = len(values)
    k = max(1, int(round(fraction * n)))
    result = {'key': key, 'last': None, 'previous': None,
              'relative_change': None, 'levelled': None, 'window': k,
              'last_iterations': None, 'previous_iterations': None,
              'threshold': threshold}
    if n < 2 * k:
        return result
    last, previous = values[-k:], values[-2 * k:-k]
    result['last'] = sum(v for _, v in last) / k
    result['previous'] = sum(v for _, v in previous) / k
    result['last_iterations'] = [last[0][0], last[-1][0]]
    result['previous_iterations'] = [previous[0][0], previous[-1][0]]
    if result['previous'] == 0 or not all(
            math.isfinite(v) for v in (result['last'], result['previous'])):
        return result
    change = (result['last'] - result['previous']) / abs(result['previous'])
    result['relative_change'] = change
    result['levelled'] = abs(change) < threshold
    return result


def argmax_first(values):
    """The index of the largest value, the first one on a tie; None
    values and NaN (a failed run) are never chosen.

    Args:
        values (sequence of float or None): e.g. the holdout mIoU of each
            learning rate of a grid.

    Returns:
        int or None: the index; None if no value is a number.

    """
    best = None
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if best is None or v > values[best]:
            best = i
    return best


def weight_summary(weights, sigma, middle=(0.05, 0.95)):
    """How near to binary a search's connection weights are.

    Args:
        weights (dict): stage -> ``{input name: weight}``
            (:func:`sparsemask.extensions.load_connection_weights`).
        sigma (float): the pruning threshold.
        middle (tuple of float): ``(low, high)``: weights in
            ``[low, high)`` count as undecided.

    Returns:
        dict: ``n`` (weights), ``zero`` (exactly 0), ``below_sigma``
        (``0 < w < sigma``), ``middle`` (in ``[low, high)``), ``high``
        (``>= high``), ``largest_dropped`` (the largest ``w < sigma``, None
        if none) and ``smallest_kept`` (the smallest ``w >= sigma``, None
        if none), as the paper's Fig. 4 compares them (1.342e-4 vs
        2.666e-2).

    """
    values = [float(w) for stage in weights.values() for w in stage.values()]
    low, high = middle
    dropped = [w for w in values if w < sigma]
    kept = [w for w in values if w >= sigma]
    return {
        'n': len(values),
        'zero': sum(1 for w in values if w == 0),
        'below_sigma': sum(1 for w in values if 0 < w < sigma),
        'middle': sum(1 for w in values if low <= w < high),
        'high': sum(1 for w in values if w >= high),
        'middle_range': [low, high],
        'largest_dropped': max(dropped) if dropped else None,
        'smallest_kept': min(kept) if kept else None,
    }
