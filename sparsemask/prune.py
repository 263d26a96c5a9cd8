from sparsemask.connectivity import Connectivity
from sparsemask.connectivity import parse_input


def _readers(inputs, l):
    name = 'D{}'.format(l)
    return [k for k, names in inputs.items() if name in names]


def prune_stages(inputs, n_stages):
    """Applies the paper's stage rules until nothing changes.

    Rule 2 drops a stage with no inputs (and the connections that read it);
    rule 3 drops a stage other than D_1 whose output no stage reads. D_1
    feeds the prediction head, so it is never dropped for having no
    readers.

    Args:
        inputs (dict): stage index -> set of input names. Not modified. A
            stage that is read but absent counts as a stage with no
            inputs.
        n_stages (int): ``L``.

    Returns:
        Connectivity

    Raises:
        ValueError: if D_1 is left with no inputs.

    """
    inputs = {l: set(names) for l, names in inputs.items()}
    for names in list(inputs.values()):
        for name in names:
            kind, i = parse_input(name)
            if kind == 'D':
                inputs.setdefault(i, set())  # absent: no inputs (rule 2)
    changed = True
    while changed:
        changed = False
        for l in sorted(inputs):
            if not inputs[l]:
                del inputs[l]
                name = 'D{}'.format(l)
                for names in inputs.values():
                    names.discard(name)
                changed = True
                break
            if l != 1 and not _readers(inputs, l):
                del inputs[l]
                changed = True
                break
    if 1 not in inputs:
        raise ValueError(
            'pruning left stage D1 with no inputs: nothing reaches the '
            'prediction head (lower sigma, or check the search)')
    return Connectivity(n_stages, inputs)


def _merge_redundant(inputs):
    # The authors' code: a stage whose inputs are a subset of (or equal to)
    # those of a coarser stage is removed, and its readers read the coarser
    # stage instead. D_1 is never removed.
    for l in sorted(inputs):
        if l == 1:
            continue
        for m in sorted(inputs, reverse=True):
            if m > l and inputs[l] <= inputs[m]:
                old, new = 'D{}'.format(l), 'D{}'.format(m)
                del inputs[l]
                for names in inputs.values():
                    if old in names:
                        names.discard(old)
                        names.add(new)
                return True
    return False


def prune(weights, sigma=1e-3, merge=False, n_stages=None):
    """Prunes a searched Fully Dense Network (paper Sec. 3.3).

    Rule 1 drops every connection whose weight is below ``sigma``; rule 2
    drops stages left with no inputs; rule 3 drops stages whose output no
    other stage reads. Rules 2 and 3 are repeated until nothing changes,
    so a stage whose only reader was dropped goes too. D_1 always feeds the
    head.

    Args:
        weights (dict): stage index ``l`` -> ``{input name: weight}``, as
            returned by :meth:`sparsemask.SparseMask.connection_weights`.
        sigma (float): the threshold.
        merge (bool): also apply the authors' code's merges: a stage whose
            input set is a subset of (or equal to) a coarser stage's is
            removed and its readers read the coarser stage. Off by default
            (the paper does not describe it).
        n_stages (int): ``L``. By default the largest stage index in
            ``weights``.

    Returns:
        Connectivity: the pruned architecture.

    Raises:
        ValueError: if D_1 is left with no inputs, or if a name in
            ``weights`` is invalid.

    """
    if n_stages is None:
        n_stages = max(weights)
    inputs = {}
    for l, conns in weights.items():
        for name in conns:
            parse_input(name)
        inputs[l] = {name for name, w in conns.items() if float(w) >= sigma}
    connectivity = prune_stages(inputs, n_stages)
    while merge:
        inputs = {l: set(connectivity.inputs(l))
                  for l in connectivity.stages}
        merge = _merge_redundant(inputs)
        connectivity = prune_stages(inputs, n_stages)
    return connectivity
