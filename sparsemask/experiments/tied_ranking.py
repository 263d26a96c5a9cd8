"""A ranking that does not claim more than the spread of the results."""


def tied_ranking(values, margin):
    """Ranks named results, best first, tying the ones closer than
    ``margin``.

    The results are sorted; a new group starts where a result is more than
    ``margin`` below the previous one, so a group is a chain of results
    each within ``margin`` of the next.

    Args:
        values (dict): name -> result (larger is better); None results
            come last, in a group of their own.
        margin (float or None): the largest difference that is a tie
            (None: no ties).

    Returns:
        list of list of str: the groups, best first, each best first.

    """
    known = sorted(((v, k) for k, v in values.items() if v is not None),
                   key=lambda x: -x[0])
    groups = []
    previous = None
    for value, name in known:
        if previous is None or margin is None or \
                previous - value > margin:
            groups.append([])
        groups[-1].append(name)
        previous = value
    missing = [k for k, v in values.items() if v is None]
    if missing:
        groups.append(missing)
    return groups


def format_ranking(groups):
    """A ranking as text: ``a = b > c``.

    Args:
        groups (list of list of str): :func:`tied_ranking`'s.

    Returns:
        str: the text.

    """
    return ' > '.join(' = '.join(g) for g in groups)
