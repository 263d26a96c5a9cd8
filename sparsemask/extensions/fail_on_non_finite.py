from __future__ import division

import math
import os

import chainer
from chainer.training import extension

from sparsemask.utils.snapshot_files import list_snapshots
from sparsemask.utils.snapshot_files import move_aside


class NonFiniteLossError(RuntimeError):
    """Raised when the loss or a parameter stops being a finite number."""


class FailOnNonFinite(extension.Extension):
    """Stops training when a loss or a parameter is NaN or infinite.

    Like :class:`chainer.training.extensions.FailOnNonNumber`, but the error
    names the iteration and the loss or parameter, the snapshot ``--resume``
    will start from, and what to change. It runs before every other
    extension of the iteration, so the snapshot extension never saves the
    non-finite state.

    A loss usually grows for a while before it overflows, and the newest
    snapshots are then diverged too: resuming from them fails again. With
    a :class:`~sparsemask.extensions.SnapshotRetention` (which keeps the
    newest snapshot taken before the loss started growing), the snapshots
    taken after its :attr:`~SnapshotRetention.last_good_iteration` are
    moved into ``<out>/<diverged_dir>/`` (not deleted; their names there
    are not in the way of ``snapshot_iter_*`` in ``out``), so that a plain
    ``--resume``, which takes the newest snapshot in ``out``, starts from
    the last good one. (The loss of iteration ``k`` is that of the
    parameters of snapshot ``k - 1``: a non-finite loss moves that snapshot
    too, a non-finite parameter with a finite loss does not.) The message
    then says to resume with the learning rates divided by ``lr_divisor``,
    or, when no snapshot predates the growth, to start over with them.

    Args:
        keys (sequence of str): the observed losses to check.
        retention (SnapshotRetention): the extension that follows the loss
            and keeps the snapshots; None: nothing is moved and the message
            names the newest snapshot.
        learning_rates (sequence of tuple): ``(override, base_rate)`` pairs
            of the run, e.g. ``('train.lr_decoder', 0.05)``, for the advice;
            empty: the advice names no values.
        lr_divisor (float): by how much the advice divides the rates.
        is_writer (bool): whether this process moves snapshots (only rank 0
            under ChainerMN).
        diverged_dir (str): where the diverged snapshots go, under the
            trainer's out directory.

    """

    trigger = 1, 'iteration'
    priority = extension.PRIORITY_WRITER + 200

    def __init__(self, keys=('main/loss', 'main/sparse_loss'),
                 retention=None, learning_rates=(), lr_divisor=10,
                 is_writer=True, diverged_dir='diverged'):
        self._keys = tuple(keys)
        self._retention = retention
        self._learning_rates = tuple(
            (name, float(rate)) for name, rate in learning_rates)
        self._lr_divisor = lr_divisor
        self._is_writer = is_writer
        self._diverged_dir = diverged_dir

    def __call__(self, trainer):
        iteration = trainer.updater.iteration
        for key in self._keys:
            if key not in trainer.observation:
                continue
            value = float(chainer.backends.cuda.to_cpu(
                getattr(trainer.observation[key], 'array',
                        trainer.observation[key])))
            if not math.isfinite(value):
                self._fail(trainer, '{} is {} at iteration {}'.format(
                    key, value, iteration))
        for name, optimizer in trainer.updater.get_all_optimizers().items():
            target = optimizer.target
            for path, param in target.namedparams():
                if param.array is not None and \
                        not target.xp.isfinite(param.array).all():
                    self._fail(trainer, 'parameter {} of optimizer {} is not '
                               'finite at iteration {}'.format(
                                   path, name, iteration))

    def _fail(self, trainer, what):
        raise NonFiniteLossError('{}; training stopped. {}'.format(
            what, self._resume_message(trainer)))

    def _resume_message(self, trainer):
        out = trainer.out
        retention = self._retention
        good = None
        if retention is not None:
            # a finite loss of this iteration is that of the last snapshot
            retention.observe(trainer)
            good = retention.last_good_iteration
        if not self._is_writer:
            return 'The first process says which snapshot to resume from.'
        snapshots = list_snapshots(out)
        parts = []
        if good is not None:
            parts.extend(retention.growth_notes())
            diverged = [(i, path) for i, path in snapshots if i > good]
            snapshots = [(i, path) for i, path in snapshots if i <= good]
            if diverged:
                parts.append(self._move(out, good, diverged))
        else:
            diverged = []
        advice = self._advice()
        if snapshots:
            iteration, path = snapshots[-1]
            parts.append('--resume starts from {} (iteration {}): {}'.format(
                path, iteration, 'rerun the command with --resume{}'.format(
                    ' and the overrides ' + advice if advice else
                    ' (perhaps with smaller learning rates)')))
        else:
            if not diverged:
                why = 'no snapshot was written yet'
            elif retention.growing or retention.blown_up:
                why = 'no snapshot predates the growth'
            else:
                why = 'no snapshot predates the failure'
            parts.append('{}: start over into a fresh --out{}'.format(
                why,
                ' with the overrides ' + advice if advice else
                ' with smaller learning rates'))
        text = '; '.join(parts) + '.'
        return text[0].upper() + text[1:]

    def _advice(self):
        rates = ['{}={:.3g}'.format(name, rate / self._lr_divisor)
                 for name, rate in self._learning_rates if rate > 0]
        if not rates:
            return ''
        return '{} (the learning rates divided by {:g})'.format(
            ' '.join(rates), self._lr_divisor)

    def _move(self, out, good, diverged):
        target_dir = os.path.join(out, self._diverged_dir)
        moved, failed = [], []
        for _, path in diverged:
            name = os.path.basename(path)
            try:
                move_aside(path, target_dir)
            except OSError as e:
                failed.append('{} ({})'.format(name, e.strerror or e))
            else:
                moved.append(name)
        text = 'moved the snapshot{} taken after iteration {} ({}) to ' \
            '{}'.format('s' if len(moved) > 1 else '', good,
                        ', '.join(moved), target_dir) if moved else ''
        if failed:
            text += '{}could not move {}; remove {} from {} before resuming'\
                .format('; ' if text else '', ', '.join(failed),
                        'them' if len(failed) > 1 else 'it', out)
        return text
