"""How stable a search is over its seeds (the stability study of Table 1).

For each search seed: the kept connections; how often each connection is
kept; the Jaccard index of every pair of kept sets; and the val mIoU of
each found architecture retrained at the learning rate tuned for the row
that retrains the variant.
"""

from sparsemask.utils import statistics as stats


def stability_study(variant, search_seeds, found):
    """The agreement of the architectures the searches of a variant found.

    Args:
        variant (str): the search variant.
        search_seeds (list of int): the search seeds.
        found (list of dict): the record of each seed's search
            (``seed``, ``failed``, ``n_connections``, ``connections``,
            ``loss``).

    Returns:
        dict: ``variant``, ``search_seeds``, ``failed`` (seed -> error),
        ``n_connections`` and ``connections`` (seed -> ...),
        ``selection_frequency`` (connection -> the fraction of the
        searches that kept it), ``pairwise_jaccard`` (``seeds``,
        ``jaccard``), ``mean_jaccard``, ``search_loss`` (seed -> whether
        its loss levelled off) and ``retrained`` (empty: see
        :func:`retrained_entry`). Seeds are strings (JSON keys).

    """
    ok = [f for f in found if not f['failed']]
    sets = [set(f['connections']) for f in ok]
    pairs = stats.pairwise_jaccard(sets)
    seeds_ok = [f['seed'] for f in ok]
    return {
        'variant': variant,
        'search_seeds': list(search_seeds),
        'failed': {str(f['seed']): f['failed'] for f in found
                   if f['failed']},
        'n_connections': {str(f['seed']): f['n_connections'] for f in ok},
        'connections': {str(f['seed']): f['connections'] for f in ok},
        'selection_frequency': stats.selection_frequency(sets),
        'pairwise_jaccard': [
            {'seeds': [seeds_ok[i], seeds_ok[j]], 'jaccard': v}
            for i, j, v in pairs],
        'mean_jaccard': stats.mean_std([v for _, _, v in pairs])[0],
        'search_loss': {str(f['seed']): f['loss'] for f in found},
        'retrained': [],
    }


def stability_retrains(variant, found, owner):
    """The retrainings of the architectures the searches of a variant
    found, at the learning rate of the row that retrains the variant.

    Args:
        variant (str): the search variant.
        found (list of dict): the record of each seed's search.
        owner (dict): the row that retrains the variant (``tuned_lr``), or
            None when it is not in the table.

    Returns:
        list of tuple: ``(search record, kwargs)`` of each search that did
        not fail, ``kwargs`` being keyword arguments of
        :func:`~sparsemask.experiments.retrain_seeds.retrain_specs`; empty
        when the row was not tuned.

    """
    if owner is None or owner.get('tuned_lr') is None:
        return []
    return [(f, dict(kind='stability',
                     arch_id='{}_search{}'.format(variant, f['seed']),
                     arch_file=f['arch_file'],
                     overrides=lambda seed, a=f['arch_file']: [
                         'model.arch=' + a]))
            for f in found if not f['failed']]


def retrained_entry(search, runs):
    """One found architecture, retrained.

    Args:
        search (dict): the record of its search (``seed``,
            ``n_connections``).
        runs (list of dict): the result of each retrain seed
            (:func:`~sparsemask.experiments.retrain_seeds.seed_result`).

    Returns:
        dict: ``search_seed``, ``n_connections``, ``runs`` and
        ``val_miou_mean``.

    """
    mious = [r['val_miou'] for r in runs if r['val_miou'] is not None]
    return {'search_seed': search['seed'],
            'n_connections': search['n_connections'],
            'runs': runs,
            'val_miou_mean': stats.mean_std(mious)[0]}
