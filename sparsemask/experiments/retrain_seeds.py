"""The retrainings of a Table 1 row, one per seed, and their statistics.

Each row is retrained with each retrain seed (distinct from the search
seeds) at its tuned learning rate on the whole training split and
evaluated on the evaluation split (the test split of a data set that has
one, else val); the table shows the mean, the sample standard deviation
and the 95% interval of the final mIoU, the per-class IoU and cue
accuracies, and how many of the trainings' losses levelled off.
"""

from sparsemask.experiments.learning_rate_grid import run_rel
from sparsemask.experiments.table1_rows import arch_of
from sparsemask.utils import statistics as stats
from sparsemask.utils.confidence_interval import confidence_interval


def retrain_specs(row, seeds, kind='seed', arch_id=None, arch_file=None,
                  overrides=None, extra=()):
    """The trainings of a row at its tuned learning rate, one per seed.

    A row made from several searches (``archs``) takes their
    architectures in turn (:func:`~sparsemask.experiments.table1_rows.\
arch_of`).

    Args:
        row (dict): the row, tuned (``key``, ``tuned_lr``, ``arch_id``,
            ``arch_file``, ``overrides``, maybe ``archs``).
        seeds (list of int): the retrain seeds (``train.seed``).
        kind (str): ``seed`` (the row's own) or ``stability`` (another
            architecture at the row's learning rate).
        arch_id (str): the directory name of the architecture (default:
            the row's).
        arch_file (str): its arch.yaml, if any (default: the row's).
        overrides (callable): seed -> its overrides (default: the row's).
        extra (sequence of str): more overrides of every training, e.g.
            the split it is evaluated on.

    Returns:
        list of dict: keyword arguments of
        :meth:`~sparsemask.experiments.TrainingRunner.train`, with ``row``,
        ``lr``, ``seed`` and ``search_seed``.

    """
    lr = row['tuned_lr']
    specs = []
    for i, seed in enumerate(seeds):
        arch = arch_of(row, i) if arch_id is None else {
            'arch_id': arch_id, 'search_seed': None,
            'arch_file': arch_file if arch_file is not None
            else row['arch_file'],
            'overrides': overrides or row['overrides']}
        specs.append(dict(
            kind=kind,
            rel=run_rel(arch['arch_id'], lr, seed),
            extra=arch['overrides'](seed) + [
                'train.lr_decoder={!r}'.format(lr),
                'train.seed={}'.format(seed)] + list(extra),
            arch_file=arch['arch_file'], row=row['key'], lr=lr, seed=seed,
            search_seed=arch['search_seed']))
    return specs


def seed_result(spec, record):
    """One seed's result.

    Args:
        spec (dict): its training, one of :func:`retrain_specs`.
        record (dict): the training's record (``eval_miou``: the
            evaluation split's, ``failed``, ``time_s``, ``loss``, ``iou``,
            ``cues``).

    Returns:
        dict: ``seed``, ``search_seed``, ``val_miou`` (the mIoU of the
        split the table evaluates on), ``iou`` (per class), ``cues``,
        ``failed``, ``dir``, ``time_s`` and ``loss``.

    """
    return {'seed': spec['seed'], 'search_seed': spec.get('search_seed'),
            'val_miou': record['eval_miou'], 'iou': record.get('iou'),
            'cues': record.get('cues'), 'failed': record['failed'],
            'dir': spec['rel'], 'time_s': record['time_s'],
            'loss': record['loss']}


def _means(dicts):
    # key -> mean over the dicts that have a number for it
    keys = []
    for d in dicts:
        for k, v in (d or {}).items():
            if isinstance(v, (int, float)) and k not in keys:
                keys.append(k)
    means = {}
    for k in keys:
        values = [d[k] for d in dicts
                  if d and isinstance(d.get(k), (int, float))]
        means[k] = sum(values) / len(values)
    return means or None


def summarise_runs(row, threshold, confidence=0.95):
    """Adds the statistics of a row's seeds to the row.

    Args:
        row (dict): the row, with ``runs`` (:func:`seed_result`'s).
        threshold (float): the loss-levelling threshold, recorded.
        confidence (float): of the interval of the mean.

    Returns:
        dict: ``row``, with ``miou_mean`` and ``miou_std`` (the sample
        standard deviation) of the seeds that have an mIoU, ``n`` (their
        number), ``interval`` (Student's t interval of the mean,
        :func:`~sparsemask.utils.confidence_interval.confidence_interval`),
        ``iou_mean`` (per class) and ``cues_mean`` (per cue) over the seeds,
        and ``levelled`` (``levelled`` of ``of`` trainings, the
        ``max_abs_change`` of their losses and the ``threshold``).

    """
    runs = row.get('runs', [])
    mious = [r['val_miou'] for r in runs if r['val_miou'] is not None]
    mean, std = stats.mean_std(mious)
    row['miou_mean'], row['miou_std'], row['n'] = mean, std, len(mious)
    row['interval'] = confidence_interval(mious, confidence)
    ok = [r for r in runs if r['val_miou'] is not None]
    row['iou_mean'] = _means([r.get('iou') for r in ok])
    cues = _means([{k: v for k, v in (r.get('cues') or {}).items()
                    if k != 'chance'} for r in ok])
    row['cues_mean'] = cues
    changes = [r['loss'] for r in runs]
    known = [c for c in changes if c['levelled'] is not None]
    row['levelled'] = {
        'levelled': sum(1 for c in known if c['levelled']),
        'of': len(changes),
        'max_abs_change': max((abs(c['relative_change']) for c in known),
                              default=None),
        'threshold': threshold}
    return row
