from sparsemask.connectivity import parse_input
from sparsemask.prune import prune_stages


def _stage_map(src_strides, dst_strides):
    # src stage -> dst stage of the same stride, or None. Within a group of
    # stages sharing a stride, the deepest source stage matches the deepest
    # destination stage, the next the next, and source stages left over
    # match the group's finest destination stage (with one destination
    # stage per stride they all become that stage).
    groups = {}
    for k, s in enumerate(dst_strides, 1):
        groups.setdefault(s, []).append(k)
    stage_map = {}
    for s in set(src_strides):
        src = [i for i, t in enumerate(src_strides, 1) if t == s][::-1]
        dst = groups.get(s, [])[::-1]
        for j, i in enumerate(src):
            stage_map[i] = dst[min(j, len(dst) - 1)] if dst else None
    return stage_map


def transfer(connectivity, src_strides, dst_strides):
    """Transfers an architecture to another backbone (paper Sec. 4.3).

    Encoder stages of the two backbones are matched by stride (within a
    group of stages of one stride, deepest with deepest). A source stage
    with no match is dropped, together with the decoder stage at
    that position and every connection reading either. Several source
    stages matching the same destination stage become one: their decoder
    stages merge into one whose inputs are the union (a stage reading a
    stage it merged with drops that connection). The result is pruned
    again with rules 2 and 3 of :func:`sparsemask.prune`.

    Args:
        connectivity (Connectivity): the source architecture.
        src_strides (sequence of int): the source backbone's stage strides,
            finest first (``len == connectivity.n_stages``).
        dst_strides (sequence of int): the destination backbone's.

    Returns:
        Connectivity: the architecture for the destination backbone.

    Raises:
        ValueError: if the stride lists are inconsistent with the
            connectivity, or if nothing reaches the head afterwards.

    """
    src_strides, dst_strides = list(src_strides), list(dst_strides)
    if len(src_strides) != connectivity.n_stages:
        raise ValueError(
            'src_strides has {} entries but the connectivity has {} stages'
            .format(len(src_strides), connectivity.n_stages))
    for name, strides in (('src_strides', src_strides),
                          ('dst_strides', dst_strides)):
        if any(b < a for a, b in zip(strides, strides[1:])):
            raise ValueError('{} must be non-decreasing (finest first), got '
                             '{}'.format(name, strides))
    stage_map = _stage_map(src_strides, dst_strides)

    inputs = {}
    for l in connectivity.stages:
        k = stage_map[l]
        if k is None:
            continue
        names = inputs.setdefault(k, set())
        for name in connectivity.inputs(l):
            kind, i = parse_input(name)
            if kind == 'G':
                names.add('G')
                continue
            m = stage_map[i]
            if m is None or (kind == 'D' and m == k):
                continue
            names.add('{}{}'.format(kind, m))
    return prune_stages(inputs, len(dst_strides))
