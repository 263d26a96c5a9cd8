"""The pilot of a Table 1 run: a few minutes that say whether the full run
is worth its time.

FCN and U-Net, the two baselines that need the least and the most of
both ends of the encoder, are trained with the first three retrain seeds
at the config's decoder learning rate (no grid) and evaluated on the
tuning split (val, or the holdout); the confusion matrix of each run gives
its cue accuracies (:func:`~sparsemask.evaluations.cue_accuracy`).
:func:`~sparsemask.experiments.pilot_gate.pilot_verdict` then refuses the
full run unless FCN is above predicting background everywhere, U-Net
learns every cue and U-Net's spread is under a quarter of its gap to FCN,
the next row of the pilot.
"""

import json
import os

import numpy

from chainercv.evaluations import calc_semantic_segmentation_confusion
from chainercv.evaluations import calc_semantic_segmentation_iou

from sparsemask.experiments.pilot_gate import pilot_verdict
from sparsemask.experiments.table1_rows import fixed_row
from sparsemask.training.build_datasets import build_datasets
from sparsemask.training.config import ConfigError
from sparsemask.utils.atomic_write import atomic_write_text

#: the rows of the pilot
PILOT_ROWS = ('fcn', 'unet')
#: its seeds: the first of the retrain seeds
PILOT_SEEDS = 3


class PilotRefusedError(ConfigError):
    """The pilot found that the benchmark does not separate decoders."""


def background_miou(dataset, n_class):
    """The mIoU of predicting background (class 0) everywhere.

    Args:
        dataset: examples ``(img, label)``.
        n_class (int): the classes.

    Returns:
        float: ChainerCV's mIoU of that prediction.

    """
    labels = [dataset[i][1] for i in range(len(dataset))]
    confusion = calc_semantic_segmentation_confusion(
        [numpy.zeros_like(lb) for lb in labels], labels)
    size = max(confusion.shape[0], n_class)
    full = numpy.zeros((size, size), dtype=confusion.dtype)
    full[:confusion.shape[0], :confusion.shape[1]] = confusion
    return float(numpy.nanmean(calc_semantic_segmentation_iou(full)))


def pilot_specs(table):
    """The pilot's trainings.

    Args:
        table (~sparsemask.experiments.Table1): the table (its options,
            tuning split and config).

    Returns:
        list of dict: keyword arguments of
        :meth:`~sparsemask.experiments.TrainingRunner.train`, with ``row``
        and ``seed``.

    """
    args = table.args
    specs = []
    for key in PILOT_ROWS:
        row = fixed_row(key)
        for seed in args.seeds[:PILOT_SEEDS]:
            extra = row['overrides'](seed) + ['train.seed={}'.format(seed)]
            if args.holdout is not None:
                extra.append('dataset.holdout={}'.format(args.holdout))
            specs.append(dict(kind='pilot', rel=os.path.join(
                'pilot', row['arch_id'], 's{}'.format(seed)), extra=extra,
                row=key, seed=seed, tuning_only=True))
    return specs


def run_pilot(table, say=print):
    """Runs (or reuses) the pilot's trainings and judges them; writes
    ``OUT/pilot.json``.

    Args:
        table (~sparsemask.experiments.Table1): the table.
        say (callable): prints a progress line.

    Returns:
        dict: :func:`~sparsemask.experiments.pilot_gate.pilot_verdict`'s,
        with ``background_miou``, ``lr`` (the decoder's), ``split`` and
        ``results`` (per row, per seed: ``seed``, ``miou``, ``cues``,
        ``iou``, ``failed``).

    """
    specs = pilot_specs(table)
    table.runner.prefetch(specs)
    rows = {key: [] for key in PILOT_ROWS}
    for spec in specs:
        record = table.runner.train(**spec)
        rows[spec['row']].append({
            'seed': spec['seed'], 'miou': record['miou'],
            'cues': record.get('cues'), 'iou': record.get('iou'),
            'failed': record['failed']})
    config = table.config(specs[0]['extra'])
    _, tune, label_names = build_datasets(config['dataset'])
    bg = background_miou(tune, len(label_names))
    verdict = pilot_verdict(rows, bg)
    verdict.update(background_miou=bg, results=rows,
                   lr=config['train']['lr_decoder'],
                   split='holdout of the training split'
                   if table.args.holdout is not None else 'val')
    atomic_write_text(os.path.join(table.out, 'pilot.json'),
                      json.dumps(verdict, indent=2) + '\n')
    say(format_pilot(verdict))
    return verdict


def format_pilot(verdict):
    """The pilot's verdict as text.

    Args:
        verdict (dict): :func:`run_pilot`'s.

    Returns:
        str: one line per row (mean, std, cue accuracies) and per check.

    """
    lines = ['pilot: decoder lr {:g}, {} split; predicting background '
             'everywhere: mIoU {:.2f}'.format(
                 verdict['lr'], verdict['split'],
                 100 * verdict['background_miou'])]
    for key, results in verdict['results'].items():
        s = verdict['rows'].get(key, {})
        cues = {}
        for r in results:
            for cue, value in (r.get('cues') or {}).items():
                if cue != 'chance' and value is not None:
                    cues.setdefault(cue, []).append(value)
        mean = '' if s.get('mean') is None else \
            '; mean {:.2f}'.format(100 * s['mean'])
        lines.append('  {:5s} mIoU {} (seeds {}); cues {}{}'.format(
            key, ', '.join('-' if r['miou'] is None else
                           '{:.2f}'.format(100 * r['miou'])
                           for r in results),
            ' '.join(str(r['seed']) for r in results),
            ', '.join('{} {:.3f}-{:.3f}'.format(c, min(v), max(v))
                      for c, v in cues.items()) or '-', mean))
    for check in verdict['checks']:
        lines.append('  ' + check['text'])
    lines.append('pilot: {}'.format(
        'passed, the full run goes ahead' if verdict['passed'] else
        'REFUSED: the benchmark does not separate decoders at these '
        'settings (see the FAIL lines)'))
    return '\n'.join(lines)
