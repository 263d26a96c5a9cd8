"""The trainings of an experiment, each in its own directory, run once.

Every training has its own directory under the experiment's output
directory. One that finished (``model.npz`` and ``log`` there, and
``arch.yaml`` for a search) or diverged is not run again; one that was
interrupted is resumed from its newest snapshot
(:func:`~sparsemask.training.train_in_dir.train_in_dir`). A directory that
holds a training with another configuration is an error
(:class:`StaleRunError`).
"""

import copy
import json
import os

import numpy

from sparsemask.connectivity import Connectivity
from sparsemask.evaluations.cue_accuracy import cue_accuracy
from sparsemask.experiments.table1_report import format_change
from sparsemask.experiments.table1_report import format_miou
from sparsemask.training.config import config_items
from sparsemask.training.config import ConfigError
from sparsemask.training.config import load_config
from sparsemask.training.train_in_dir import CONFUSION_FILE
from sparsemask.training.train_in_dir import STATUS_FILE
from sparsemask.training.train_in_dir import train_in_dir
from sparsemask.training.training_pool import TrainingPool
from sparsemask.utils import statistics as stats


class StaleRunError(ConfigError):
    """A directory under --out holds a training with another
    configuration."""


class TrainingRunner(object):
    """Runs the trainings of an experiment, or reuses the finished ones.

    On the CPU with ``jobs`` > 1, :meth:`prefetch` runs trainings ``jobs``
    at a time in single-threaded worker processes
    (:class:`~sparsemask.training.training_pool.TrainingPool`), so that a
    training's numbers depend only on its config; :meth:`train` runs a
    training in this process (or finds it finished by :meth:`prefetch`).

    Args:
        out (str): the directory of the trainings' directories.
        config (callable): overrides (list of str) -> the resolved config
            of a training.
        gpu (int): the GPU id, -1 for the CPU.
        jobs (int): trainings at a time on the CPU.
        level_window (float): the window of
            :func:`~sparsemask.utils.statistics.loss_levelled`, a fraction
            of the log.
        level_threshold (float): its largest relative change.
        say (callable): prints a progress line.
        confusion_split (str): the split every segmentation retraining's
            confusion matrix (``confusion.json``) is computed on, e.g.
            ``test``, while its log's mIoU stays the val split's; None for
            the val split. The record's ``eval_miou`` is that matrix's
            mIoU, so that one training gives both the tuning split's and
            the reported split's numbers.

    Attributes:
        trainings (list of dict): the record of every :meth:`train` call.

    """

    def __init__(self, out, config, gpu=-1, jobs=1, level_window=0.2,
                 level_threshold=0.05, say=print, confusion_split=None):
        self.out = out
        self.confusion_split = confusion_split
        self.config = config
        self.gpu = gpu
        self.jobs = jobs
        self.level_window = level_window
        self.level_threshold = level_threshold
        self.say = say
        self.trainings = []
        self.pool = None            # see start_workers()
        self._ran_now = set()       # run by prefetch() in this invocation
        self._recorded = set()      # recorded by train() in this invocation

    # ------------------------------------------------------------ workers
    def start_workers(self):
        """Starts the workers of :meth:`prefetch` (on the CPU, when
        ``jobs`` > 1)."""
        if self.jobs > 1 and self.gpu < 0:
            self.pool = TrainingPool(self.jobs)

    def stop_workers(self):
        """Stops the workers of :meth:`prefetch`, if any."""
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    # ---------------------------------------------------------- trainings
    def train(self, kind, rel, extra, mode='retrain', arch_file=None,
              tuning_only=False, **info):
        """Runs one training, or reuses a finished one.

        Args:
            kind (str): ``search``, ``grid``, ``seed`` or ``stability``.
            rel (str): its directory, relative to ``out``.
            extra (list of str): overrides.
            mode (str): ``search`` or ``retrain``.
            arch_file (str): the arch.yaml ``model.arch`` names, if any
                (then the architecture is compared, not the path).
            tuning_only (bool): its confusion matrix on the val split,
                not on ``confusion_split`` (a training that must not read
                the reported split, e.g. the pilot's).
            **info: kept in the record (``lr``, ``seed``, ...).

        Returns:
            dict: the record: ``dir``, ``cached``, ``time_s``, ``miou``
            (the final ``val/main/miou``: the holdout's for the grid),
            ``eval_miou`` (a retraining's on ``confusion_split``, else
            ``miou``),
            ``loss`` (:func:`~sparsemask.utils.statistics.loss_levelled`),
            ``failed`` (the error of a diverged run, or None).

        Raises:
            StaleRunError: its directory holds another training.
            ConfigError: its config is not valid.

        """
        config, run_dir = self.prepare(rel, extra, arch_file)
        split = self.split(tuning_only)
        record = dict(kind=kind, dir=rel, mode=mode, **info)
        status = self.ended(run_dir, mode)
        if status is not None:
            # finished earlier, or just now by a worker of prefetch(); a
            # directory two specs share (a grid training that is also a
            # seed's retraining) ran once
            record['cached'] = rel not in self._ran_now or \
                rel in self._recorded
            record['time_s'] = status.get('time_s')
            record['failed'] = status.get('failed')
            record['resumed'] = status.get('resumed')
        else:
            record['cached'] = False
            self.say('[{}] {} {} ...'.format(len(self.trainings) + 1, mode,
                                             rel))
            status = train_in_dir(config, mode, run_dir, device=self.gpu,
                                  confusion_split=split)
            record.update(time_s=status['time_s'], failed=status['failed'],
                          resumed=status['resumed'])
        record.update(self.read_log(run_dir, mode, split))
        record['eval_miou'] = record['miou']
        if mode == 'retrain' and split is not None:
            record['eval_miou'] = record['confusion_miou']
        if record['failed']:
            record['miou'] = record['eval_miou'] = None
        self.trainings.append(record)
        self._recorded.add(rel)
        if not record['cached'] and rel not in self._ran_now:
            self.say(self.describe(kind, record))
        return record

    def prefetch(self, specs):
        """Runs the trainings of ``specs`` that have not run yet, ``jobs``
        at a time in worker processes, so that :meth:`train` then finds
        them finished. Nothing happens without workers
        (:meth:`start_workers`: ``jobs`` 1 or a GPU).

        Args:
            specs (list of dict): keyword arguments of :meth:`train`
                (``kind``, ``rel``, ``extra``, ``mode``, ``arch_file``).

        """
        if self.pool is None:
            return
        todo = []
        seen = set()
        for spec in specs:
            rel, mode = spec['rel'], spec.get('mode', 'retrain')
            if rel in seen:
                continue
            seen.add(rel)
            try:
                config, run_dir = self.prepare(rel, spec['extra'],
                                               spec.get('arch_file'))
            except StaleRunError:
                raise
            except ConfigError:
                continue    # train() reports it
            if self.ended(run_dir, mode) is None:
                todo.append((spec.get('kind', 'seed'), rel, config, mode,
                             run_dir, self.split(spec.get('tuning_only'))))
        if not todo:
            return
        self.say('running {} trainings, {} at a time (one thread '
                 'each)'.format(len(todo), self.jobs))
        done = self.pool.run([(config, mode, run_dir, -1, split)
                              for _, _, config, mode, run_dir, split in todo])
        for n, (i, status) in enumerate(done):
            kind, rel, _, mode, run_dir, split = todo[i]
            self._ran_now.add(rel)
            record = dict(status, kind=kind)
            record.update(self.read_log(run_dir, mode, split))
            self.say('[{}/{}] {} {}'.format(n + 1, len(todo), mode, rel))
            self.say(self.describe(kind, record))

    def split(self, tuning_only=False):
        """The split of a retraining's confusion matrix.

        Args:
            tuning_only (bool): whether the training must not read the
                reported split.

        Returns:
            str or None: ``confusion_split``, or None (the val split).

        """
        return None if tuning_only else self.confusion_split

    def prepare(self, rel, extra, arch_file):
        """The config and the directory of a training, checked against
        what the directory holds.

        Args:
            rel (str): the directory, relative to ``out``.
            extra (list of str): overrides.
            arch_file (str): the arch.yaml ``model.arch`` names, if any.

        Returns:
            tuple: ``(config, run_dir)``.

        """
        config = self.config(extra)
        run_dir = os.path.join(self.out, rel)
        check_same(run_dir, config, arch_file)
        return config, run_dir

    def ended(self, run_dir, mode):
        """The status of a training that has ended, finished or diverged.

        Args:
            run_dir (str): its directory.
            mode (str): ``search`` or ``retrain``.

        Returns:
            dict or None: its ``train_status.json`` (``{}`` without one);
            None if it has not run or was interrupted.

        """
        status_path = os.path.join(run_dir, STATUS_FILE)
        status = {}
        if os.path.isfile(status_path):
            with open(status_path) as f:
                status = json.load(f)
        finished = all(os.path.isfile(os.path.join(run_dir, name))
                       for name in products(mode))
        return status if finished or status.get('failed') else None

    def describe(self, kind, record):
        """One progress line: time, final mIoU and loss change.

        Args:
            kind (str): the training's kind (``grid``: a holdout mIoU).
            record (dict): its record (``time_s``, ``miou``, ``loss``,
                ``failed``).

        Returns:
            str: the line.

        """
        return '    {:.1f} s, {} mIoU {}, loss {}{}'.format(
            record['time_s'], 'holdout' if kind == 'grid' else 'val',
            format_miou(record['miou']), format_change(record['loss']),
            '; FAILED: ' + record['failed'] if record['failed'] else '')

    def read_log(self, run_dir, mode, split=None):
        """What a training's ``log`` says.

        Args:
            run_dir (str): its directory.
            mode (str): ``search`` or ``retrain``.
            split (str): the split of a retraining's confusion matrix
                (None: the val split).

        Returns:
            dict: ``miou`` (the last ``val/main/miou``), ``loss`` (whether
            ``main/loss`` levelled off), ``iterations`` (the last logged),
            for a retraining :func:`read_confusion`'s ``iou`` and ``cues``
            and for a search ``sparse_loss`` (``main/sparse_loss``'s).

        """
        path = os.path.join(run_dir, 'log')
        entries = []
        if os.path.isfile(path):
            with open(path) as f:
                entries = json.load(f)
        miou = stats.last_logged(entries, 'val/main/miou')
        level = dict(fraction=self.level_window,
                     threshold=self.level_threshold)
        result = {'miou': miou,
                  'loss': stats.loss_levelled(entries, 'main/loss', **level),
                  'iterations': entries[-1].get('iteration')
                  if entries else None}
        if mode == 'retrain':
            result.update(read_confusion(run_dir, split))
        if mode == 'search':
            result['sparse_loss'] = stats.loss_levelled(
                entries, 'main/sparse_loss', **level)
        return result


def read_confusion(run_dir, split=None):
    """The per-class IoU, the cue accuracies and the mIoU of a retraining,
    from the confusion matrix ``train_in_dir`` wrote.

    Args:
        run_dir (str): its directory.
        split (str): the split the matrix must be of (None: the config's
            val split).

    Returns:
        dict: ``iou`` (label name -> IoU), ``cues``
        (:func:`~sparsemask.evaluations.cue_accuracy`'s, None for labels
        that are not combinations of cues) and ``confusion_miou``; all
        None without the file.

    Raises:
        StaleRunError: the matrix is of another split.

    """
    path = os.path.join(run_dir, CONFUSION_FILE)
    if not os.path.isfile(path):
        return {'iou': None, 'cues': None, 'confusion_miou': None}
    with open(path) as f:
        record = json.load(f)
    if record.get('split') != split:
        raise StaleRunError(
            '{} is of the {} split, expected the {} split; delete the '
            'directory or choose another --out'.format(
                path, record.get('split') or 'val', split or 'val'))
    names = record['label_names']
    try:
        cues = cue_accuracy(numpy.asarray(record['confusion']), names)
    except ValueError:
        cues = None
    return {'iou': dict(zip(names, record['iou'])), 'cues': cues,
            'confusion_miou': record['miou']}


def products(mode):
    """The files of a finished training.

    Args:
        mode (str): ``search`` or ``retrain``.

    Returns:
        list of str: ``model.npz``, ``log`` and for a search ``arch.yaml``.

    """
    names = ['model.npz', 'log']
    if mode == 'search':
        names.append('arch.yaml')
    return names


def check_same(run_dir, config, arch_file):
    """Checks that a training's directory holds nothing or this training.

    Args:
        run_dir (str): the directory.
        config (dict): the training's resolved config.
        arch_file (str): the arch.yaml ``model.arch`` names, if any: then
            the architecture in the directory is compared with it, not the
            path.

    Raises:
        StaleRunError: the directory holds a model without a config, or a
            training with another config or architecture.

    """
    saved_path = os.path.join(run_dir, 'config.yaml')
    if not os.path.isfile(saved_path):
        if os.path.isfile(os.path.join(run_dir, 'model.npz')):
            raise StaleRunError(
                '{} holds a model but no config.yaml: it is not a '
                'training of this table; delete it or choose another '
                '--out'.format(run_dir))
        return
    saved = load_config(saved_path)
    wanted = copy.deepcopy(config)
    if arch_file is not None:
        saved['model']['arch'] = wanted['model']['arch'] = None
    before = dict(config_items(saved))
    changed = ['{}: {!r} -> {!r}'.format(name, before[name], value)
               for name, value in config_items(wanted)
               if before[name] != value]
    if arch_file is not None and not changed:
        built = os.path.join(run_dir, 'arch.yaml')
        if os.path.isfile(built) and Connectivity.from_yaml(built) != \
                Connectivity.from_yaml(arch_file):
            changed.append('the architecture differs from {}'.format(
                arch_file))
    if changed:
        raise StaleRunError(
            '{} holds a training with another configuration ({}); '
            'delete it or choose another --out'.format(
                run_dir, '; '.join(changed)))
