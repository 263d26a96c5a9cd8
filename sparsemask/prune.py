import numpy

from sparsemask.connectivity import Connectivity
from sparsemask.connectivity import input_order
from sparsemask.connectivity import parse_input
from sparsemask.functions.topk_mask import topk_mask


def _readers_of(inputs, l):
    name = 'D{}'.format(l)
    return {k for k, names in inputs.items() if name in names}


def _drop_reads(inputs, l):
    name = 'D{}'.format(l)
    for names in inputs.values():
        names.discard(name)


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
                _drop_reads(inputs, l)
                changed = True
                break
            if l != 1 and not _readers_of(inputs, l):
                del inputs[l]
                changed = True
                break
    if 1 not in inputs:
        raise ValueError(
            'pruning left stage D1 with no inputs: nothing reaches the '
            'prediction head (lower sigma, or check the search)')
    return Connectivity(n_stages, inputs)


def _authors_merges(inputs, n_stages):
    """The stage merges of the authors' code, on the thresholded inputs.

    A transcription of ``prune()`` in ``sparse_mask_train_mode.py`` of the
    authors' repository (wuhuikai/SparseMask), same loop order, same
    exemptions of D_1, after their rule 1:

    * rule 3 in one pass, finest stage first: a stage other than D_1 that
      no finer stage still reads loses its inputs;
    * duplicates: for ``i`` from ``L`` down to 2, a stage D_i with no inputs
      is dropped from its readers (rule 2) and skipped; otherwise for ``j``
      from ``i - 1`` down to 2, a stage D_j with the same inputs as D_i
      loses them and its readers also read D_i;
    * subsets: for ``i`` from 2 to ``L - 1`` with D_i not empty, for ``j``
      from ``i + 1`` to ``L``, a coarser stage D_j whose inputs are a
      subset of D_i's and whose readers are a subset of D_i's readers loses
      its inputs and its readers (no redirect: they read D_i already).

    Like theirs, a duplicate's readers keep reading it (now empty) until the
    duplicate loop reaches it, where rule 2 drops those reads; the
    comparisons in between see the same sets as the authors' code. Rule 2
    is likewise applied only as that loop reaches each stage, and nothing
    is pruned afterwards: :func:`prune` applies :func:`prune_stages` to the
    result.

    Args:
        inputs (dict): stage index -> set of input names after rule 1
            (a missing stage has no inputs). Modified in place.
        n_stages (int): ``L``.

    Returns:
        dict: ``inputs``, with every stage ``1..L`` present (a set, possibly
        empty).

    """
    L = n_stages
    for l in range(1, L + 1):
        inputs.setdefault(l, set())
    for l in range(2, L + 1):  # rule 3, one pass
        if not any('D{}'.format(l) in inputs[k] for k in range(1, l)):
            inputs[l] = set()
    for i in range(L, 1, -1):  # rm_duplicate
        if not inputs[i]:
            _drop_reads(inputs, i)
            continue
        for j in range(i - 1, 1, -1):
            if inputs[j] == inputs[i]:
                inputs[j] = set()
                for k in _readers_of(inputs, j):
                    inputs[k].add('D{}'.format(i))
    for i in range(2, L):  # rm_subset
        if not inputs[i]:
            continue
        for j in range(i + 1, L + 1):
            if inputs[j] <= inputs[i] and \
                    _readers_of(inputs, j) <= _readers_of(inputs, i):
                inputs[j] = set()
                _drop_reads(inputs, j)
    return inputs


def prune(weights, sigma=1e-3, merge=False, n_stages=None, topk=None):
    """Prunes a searched Fully Dense Network (paper Sec. 3.3).

    Rule 1 drops every connection whose weight is below ``sigma``; rule 2
    drops stages left with no inputs; rule 3 drops stages whose output no
    other stage reads. Rules 2 and 3 are repeated until nothing changes,
    so a stage whose only reader was dropped goes too. D_1 always feeds the
    head.

    With ``topk`` (a MaskConnect-style search, ``train.search_loss:
    topk``), rule 1 keeps instead exactly the ``topk`` largest weights of
    each stage (all of a stage with at most ``topk`` inputs; of equal
    weights the earlier input, as the search's forward pass chooses, see
    :func:`sparsemask.functions.topk_mask`), whatever ``sigma``. Every
    stage then has inputs, so rule 2 drops nothing and each stage that
    rule 3 keeps has exactly ``min(topk, n_inputs)`` inputs (unless
    ``merge`` changes them).

    Args:
        weights (dict): stage index ``l`` -> ``{input name: weight}``, as
            returned by :meth:`sparsemask.SparseMask.connection_weights`.
        sigma (float): the threshold.
        merge (bool): after rule 1, also apply the merges of the authors'
            code (not in the paper): of two stages with the same inputs the
            finer goes and its readers read the coarser; then a coarser
            stage whose inputs and readers are subsets of a finer stage's
            goes. D_1 is never merged. Rules 2 and 3 are applied
            afterwards. Off by default.
        n_stages (int): ``L``. By default the largest stage index in
            ``weights``.
        topk (int): keep the ``topk`` largest weights of each stage
            instead of those at least ``sigma``; None: the threshold.

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
        if topk is None:
            inputs[l] = {name for name, w in conns.items()
                         if float(w) >= sigma}
        elif conns:
            names = sorted(conns, key=input_order)
            mask = topk_mask(numpy.array([float(conns[n]) for n in names],
                                         dtype=numpy.float64), topk)
            inputs[l] = {n for n, m in zip(names, mask) if m}
        else:
            inputs[l] = set()
    if merge:
        inputs = _authors_merges(inputs, n_stages)
    return prune_stages(inputs, n_stages)
