"""The size of a decoder, and the full FDN's depth that matches a size.

The ``full_small`` row of Table 1 is the full FDN with fewer decoder
channels, so that its decoder (stages + head) has about as many parameters
as SparseMask's.
"""


def decoder_params(model):
    """The parameters of a model's decoder: its stages and its head.

    Args:
        model (chainer.Link): a model with ``decoder`` and ``head``.

    Returns:
        int: the number of parameters.

    """
    return int(sum(p.size for p in model.decoder.params()) +
               sum(p.size for p in model.head.params()))


def matched_channels(count, target, max_channels):
    """The depth at which a decoder has the number of parameters closest
    to a target, by bisection (the count grows with the depth).

    Args:
        count (callable): depth (int) -> the decoder's parameters.
        target (int): the number of parameters to match.
        max_channels (int): the largest depth.

    Returns:
        tuple: ``(channels, count(channels))``; the smaller depth on a
        tie, 1 for a target below every depth's count.

    """
    lo, hi = 1, max_channels
    while lo < hi:
        mid = (lo + hi) // 2
        if count(mid) < target:
            lo = mid + 1
        else:
            hi = mid
    best = lo
    if lo > 1 and abs(count(lo - 1) - target) <= abs(count(lo) - target):
        best = lo - 1
    return best, count(best)
