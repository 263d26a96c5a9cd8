"""The decoder learning-rate grid of a Table 1 row and its choice.

Each learning rate of the grid trains the row with each grid seed and
evaluates it on the tuning split: the val split of a data set with a test
split, else the last ``holdout`` examples of the training split
(``dataset.holdout``). The rate with the largest mean final mIoU over the
seeds wins, the first of the grid on a tie. The split the table reports
is never read for the choice, and a rate with a diverged run is never
chosen.

On a data set with a test split a grid training is the same training as
the retraining of its seed at its rate (:func:`run_rel` gives both one
directory): its log holds the val split's mIoU, for the choice, and its
confusion matrix the test split's, for the table.
"""

import os

from sparsemask.experiments.table1_rows import arch_of
from sparsemask.utils import statistics as stats


def lr_name(lr):
    """The directory name of a learning rate.

    Args:
        lr (float): the learning rate.

    Returns:
        str: e.g. ``lr0.01``.

    """
    return 'lr{:g}'.format(lr)


def run_rel(arch_id, lr, seed, holdout=None):
    """The directory of a training, relative to the table's.

    Args:
        arch_id (str): the architecture's directory name.
        lr (float): the decoder learning rate.
        seed (int): the training seed.
        holdout (int): the training examples held out (a grid training
            without a test split), or None for a training on the whole
            training split.

    Returns:
        str: ``runs/ARCH/lrLR_sSEED``, or ``grid/ARCH/lrLR_sSEED`` with a
        holdout (it trains on less data than the retrainings).

    """
    return os.path.join('runs' if holdout is None else 'grid', arch_id,
                        '{}_s{}'.format(lr_name(lr), seed))


def grid_specs(row, lr_grid, holdout, seeds):
    """The trainings of a row's learning-rate grid.

    A row made from several searches takes their architectures in turn
    over the seeds.

    Args:
        row (dict): the row (``key``, ``arch_id``, ``arch_file``,
            ``overrides``, maybe ``archs``; see
            :mod:`sparsemask.experiments.table1_rows`).
        lr_grid (list of float): the decoder learning rates.
        holdout (int): the training examples held out, or None to
            evaluate on the val split.
        seeds (list of int): the training seeds.

    Returns:
        list of dict: keyword arguments of
        :meth:`~sparsemask.experiments.TrainingRunner.train`, one per
        learning rate and seed, with ``row``, ``lr``, ``seed`` and
        ``search_seed``.

    """
    specs = []
    for lr in lr_grid:
        for i, seed in enumerate(seeds):
            arch = arch_of(row, i)
            extra = arch['overrides'](seed) + [
                'train.lr_decoder={!r}'.format(lr),
                'train.seed={}'.format(seed)]
            if holdout is not None:
                extra.append('dataset.holdout={}'.format(holdout))
            specs.append(dict(
                kind='grid',
                rel=run_rel(arch['arch_id'], lr, seed, holdout),
                extra=extra, arch_file=arch['arch_file'], row=row['key'],
                lr=lr, seed=seed, search_seed=arch['search_seed']))
    return specs


def grid_entry(spec, record):
    """One training of the grid.

    Args:
        spec (dict): its training, one of :func:`grid_specs`.
        record (dict): the training's record (``miou``: the tuning
            split's, ``failed``, ``loss``).

    Returns:
        dict: ``lr``, ``seed``, ``holdout_miou``, ``failed``, ``dir`` and
        ``loss``.

    """
    return {'lr': spec['lr'], 'seed': spec['seed'],
            'holdout_miou': record['miou'], 'failed': record['failed'],
            'dir': spec['rel'], 'loss': record['loss']}


def grid_summary(entries):
    """The grid's trainings grouped by learning rate.

    Args:
        entries (list of dict): :func:`grid_entry`'s.

    Returns:
        list of dict: per learning rate, in the grid's order: ``lr``,
        ``holdout_miou`` (the mean over its seeds; None if one failed or
        has no mIoU), ``std``, ``failed`` (whether one diverged) and
        ``runs`` (its entries).

    """
    by_lr = {}
    for e in entries:
        by_lr.setdefault(e['lr'], []).append(e)
    summary = []
    for lr, runs in by_lr.items():
        mious = [r['holdout_miou'] for r in runs]
        complete = all(m is not None for m in mious) and \
            not any(r['failed'] for r in runs)
        mean, std = stats.mean_std(mious) if complete else (None, None)
        summary.append({'lr': lr, 'holdout_miou': mean, 'std': std,
                        'failed': any(r['failed'] for r in runs),
                        'runs': runs})
    return summary


def choose_lr(grid):
    """The learning rate with the largest mean tuning mIoU.

    Args:
        grid (list of dict): :func:`grid_summary`'s, in the grid's order.

    Returns:
        float or None: the first of the largest; None when every rate
        failed.

    """
    best = stats.argmax_first([g['holdout_miou'] for g in grid])
    return None if best is None else grid[best]['lr']
