"""The retrainings of a Table 1 row, one per seed, and their statistics.

Each row is retrained with each retrain seed (distinct from the search
seeds) at its tuned learning rate on the whole training split and
evaluated on the val split; the table shows the mean and the sample
standard deviation of the final val mIoU, and how many of the trainings'
losses levelled off.
"""

import os

from sparsemask.experiments.learning_rate_grid import lr_name
from sparsemask.utils import statistics as stats


def retrain_specs(row, seeds, kind='seed', arch_id=None, arch_file=None,
                  overrides=None):
    """The trainings of a row at its tuned learning rate, one per seed.

    Args:
        row (dict): the row, tuned (``key``, ``tuned_lr``, ``arch_id``,
            ``arch_file``, ``overrides``).
        seeds (list of int): the retrain seeds (``train.seed``).
        kind (str): ``seed`` (the row's own) or ``stability`` (another
            architecture at the row's learning rate).
        arch_id (str): the directory name of the architecture (default:
            the row's).
        arch_file (str): its arch.yaml, if any (default: the row's).
        overrides (callable): seed -> its overrides (default: the row's).

    Returns:
        list of dict: keyword arguments of
        :meth:`~sparsemask.experiments.TrainingRunner.train`, with ``row``,
        ``lr`` and ``seed``.

    """
    arch_id = arch_id or row['arch_id']
    arch_file = arch_file if arch_file is not None else row['arch_file']
    overrides = overrides or row['overrides']
    lr = row['tuned_lr']
    return [dict(kind=kind,
                 rel=os.path.join('retrain', arch_id, '{}_s{}'.format(
                     lr_name(lr), seed)),
                 extra=overrides(seed) + [
                     'train.lr_decoder={!r}'.format(lr),
                     'train.seed={}'.format(seed)],
                 arch_file=arch_file, row=row['key'], lr=lr, seed=seed)
            for seed in seeds]


def seed_result(spec, record):
    """One seed's result.

    Args:
        spec (dict): its training, one of :func:`retrain_specs`.
        record (dict): the training's record (``miou``: the val split's,
            ``failed``, ``time_s``, ``loss``).

    Returns:
        dict: ``seed``, ``val_miou``, ``failed``, ``dir``, ``time_s`` and
        ``loss``.

    """
    return {'seed': spec['seed'], 'val_miou': record['miou'],
            'failed': record['failed'], 'dir': spec['rel'],
            'time_s': record['time_s'], 'loss': record['loss']}


def summarise_runs(row, threshold):
    """Adds the statistics of a row's seeds to the row.

    Args:
        row (dict): the row, with ``runs`` (:func:`seed_result`'s).
        threshold (float): the loss-levelling threshold, recorded.

    Returns:
        dict: ``row``, with ``miou_mean`` and ``miou_std`` (the sample
        standard deviation) of the seeds that have a val mIoU, ``n`` (their
        number) and ``levelled`` (``levelled`` of ``of`` trainings, the
        ``max_abs_change`` of their losses and the ``threshold``).

    """
    runs = row.get('runs', [])
    mious = [r['val_miou'] for r in runs if r['val_miou'] is not None]
    mean, std = stats.mean_std(mious)
    row['miou_mean'], row['miou_std'], row['n'] = mean, std, len(mious)
    changes = [r['loss'] for r in runs]
    known = [c for c in changes if c['levelled'] is not None]
    row['levelled'] = {
        'levelled': sum(1 for c in known if c['levelled']),
        'of': len(changes),
        'max_abs_change': max((abs(c['relative_change']) for c in known),
                              default=None),
        'threshold': threshold}
    return row
