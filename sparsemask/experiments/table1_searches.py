"""The searches of Table 1: one per search variant and seed.

A search trains the full FDN with a weight on each connection under the
variant's loss (:data:`~sparsemask.experiments.table1_rows.SEARCHES`) and
prunes it; its record (a training record of
:class:`~sparsemask.experiments.TrainingRunner`) then also holds the
architecture it found.
"""

import os

import numpy

from sparsemask.connectivity import Connectivity
from sparsemask.experiments.table1_rows import SEARCHES
from sparsemask.utils import statistics as stats
from sparsemask.utils.one_line import one_line


def search_spec(variant, seed):
    """One search.

    Args:
        variant (str): a key of
            :data:`~sparsemask.experiments.table1_rows.SEARCHES`.
        seed (int): its ``train.seed``.

    Returns:
        dict: keyword arguments of
        :meth:`~sparsemask.experiments.TrainingRunner.train`, with
        ``variant`` and ``seed``.

    """
    return dict(kind='search',
                rel=os.path.join('search', '{}_s{}'.format(variant, seed)),
                extra=SEARCHES[variant] + ['train.seed={}'.format(seed)],
                mode='search', variant=variant, seed=seed)


def unrunnable_search(variant, seed, error):
    """The record of a search that cannot run.

    Args:
        variant (str): its variant.
        seed (int): its seed.
        error (Exception): why, e.g. a ConfigError for a search option
            this version does not have.

    Returns:
        dict: a training record whose ``failed`` says why.

    """
    return {'kind': 'search', 'dir': search_spec(variant, seed)['rel'],
            'mode': 'search', 'variant': variant, 'seed': seed,
            'cached': False, 'time_s': None, 'miou': None, 'loss': None,
            'failed': 'cannot run: {}'.format(one_line(error))}


def add_architecture(record, out):
    """Adds the architecture a search found to its record (nothing for a
    failed search).

    Args:
        record (dict): the search's training record (``dir``, ``failed``).
        out (str): the directory ``dir`` is relative to.

    Returns:
        dict: ``record``, with ``arch_file`` (its arch.yaml),
        ``connectivity`` (:class:`~sparsemask.Connectivity`), ``arch``
        (as a dict), ``n_connections`` and ``connections`` (their sorted
        names, :func:`~sparsemask.utils.statistics.connection_names`).

    """
    if record['failed']:
        return record
    arch_file = os.path.join(out, record['dir'], 'arch.yaml')
    connectivity = Connectivity.from_yaml(arch_file)
    record['arch_file'] = arch_file
    record['connectivity'] = connectivity
    record['arch'] = connectivity.to_dict()
    record['n_connections'] = connectivity.n_connections
    record['connections'] = sorted(stats.connection_names(connectivity))
    return record


def connection_weights(record, out):
    """The connection weights a search ended with.

    Args:
        record (dict): the search's training record (``dir``).
        out (str): the directory ``dir`` is relative to.

    Returns:
        dict or None: array name -> list; None without
        ``connection_weights.npz``.

    """
    path = os.path.join(out, record['dir'], 'connection_weights.npz')
    if not os.path.isfile(path):
        return None
    with numpy.load(path) as f:
        return {k: f[k].tolist() for k in f.files}


def identical_search_warnings(searches, out):
    """Warnings for search variants with the same seed that ended with the
    same connection weights: the option that tells them apart
    (``train.search_loss``, ``model.connection_bn``) was then probably
    ignored by this version of the code.

    Args:
        searches (dict): ``(variant, seed)`` -> the search's record.
        out (str): the directory the records' ``dir`` are relative to.

    Returns:
        list of str: the warnings.

    """
    warnings = []
    done = [(k, r) for k, r in sorted(searches.items()) if not r['failed']]
    for i, ((v1, s1), r1) in enumerate(done):
        for (v2, s2), r2 in done[i + 1:]:
            if s1 != s2:
                continue
            w1 = connection_weights(r1, out)
            w2 = connection_weights(r2, out)
            if w1 is not None and w1 == w2:
                warnings.append(
                    'the searches {} and {} with seed {} ended with '
                    'identical connection weights: was {} ignored?'.format(
                        v1, v2, s1, ' / '.join(sorted(
                            set(SEARCHES[v1]) ^ set(SEARCHES[v2])))))
    return warnings
