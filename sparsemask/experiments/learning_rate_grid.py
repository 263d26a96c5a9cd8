"""The decoder learning-rate grid of a Table 1 row and its choice.

Each learning rate of the grid trains the row on the training split less
its last ``holdout`` examples (``dataset.holdout``); the rate with the
largest final mIoU on those held-out examples wins, the first of the grid
on a tie. The val split is never read for the choice, and a run that
diverged is never chosen.
"""

import os

from sparsemask.utils import statistics as stats


def lr_name(lr):
    """The directory name of a learning rate.

    Args:
        lr (float): the learning rate.

    Returns:
        str: e.g. ``lr0.01``.

    """
    return 'lr{:g}'.format(lr)


def grid_specs(row, lr_grid, holdout, seed):
    """The trainings of a row's learning-rate grid, on the holdout.

    Args:
        row (dict): the row (``key``, ``arch_id``, ``arch_file``,
            ``overrides``; see :mod:`sparsemask.experiments.table1_rows`).
        lr_grid (list of float): the decoder learning rates.
        holdout (int): the training examples held out.
        seed (int): the training seed (the first retrain seed).

    Returns:
        list of dict: keyword arguments of
        :meth:`~sparsemask.experiments.TrainingRunner.train`, one per
        learning rate, with ``row``, ``lr`` and ``seed``.

    """
    return [dict(kind='grid',
                 rel=os.path.join('grid', row['arch_id'], lr_name(lr)),
                 extra=row['overrides'](seed) + [
                     'dataset.holdout={}'.format(holdout),
                     'train.lr_decoder={!r}'.format(lr),
                     'train.seed={}'.format(seed)],
                 arch_file=row['arch_file'], row=row['key'], lr=lr,
                 seed=seed)
            for lr in lr_grid]


def grid_entry(spec, record):
    """One learning rate's result.

    Args:
        spec (dict): its training, one of :func:`grid_specs`.
        record (dict): the training's record (``miou``: the holdout's,
            ``failed``, ``loss``).

    Returns:
        dict: ``lr``, ``holdout_miou``, ``failed``, ``dir`` and ``loss``.

    """
    return {'lr': spec['lr'], 'holdout_miou': record['miou'],
            'failed': record['failed'], 'dir': spec['rel'],
            'loss': record['loss']}


def choose_lr(grid):
    """The learning rate with the largest holdout mIoU.

    Args:
        grid (list of dict): :func:`grid_entry`'s, in the grid's order.

    Returns:
        float or None: the first of the largest; None when every run
        failed.

    """
    best = stats.argmax_first([g['holdout_miou'] for g in grid])
    return None if best is None else grid[best]['lr']
