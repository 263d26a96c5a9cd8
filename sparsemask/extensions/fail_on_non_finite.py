import glob
import math
import os

import chainer
from chainer.training import extension


class NonFiniteLossError(RuntimeError):
    """Raised when the loss or a parameter stops being a finite number."""


class FailOnNonFinite(extension.Extension):
    """Stops training when a loss or a parameter is NaN or infinite.

    Like :class:`chainer.training.extensions.FailOnNonNumber`, but the error
    names the iteration, the loss or parameter, and the last good snapshot.
    It runs before every other extension of the iteration, so the snapshot
    extension never saves the diverged state: the newest snapshot on disk is
    the last good one and ``--resume`` (with a smaller learning rate, say)
    starts from it.

    Args:
        keys (sequence of str): the observed losses to check.
        snapshot_pattern (str): glob of snapshot files in the trainer's out
            directory, for the message.

    """

    trigger = 1, 'iteration'
    priority = extension.PRIORITY_WRITER + 200

    def __init__(self, keys=('main/loss', 'main/sparse_loss'),
                 snapshot_pattern='snapshot_iter_*'):
        self._keys = tuple(keys)
        self._snapshot_pattern = snapshot_pattern

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
        snapshots = glob.glob(os.path.join(trainer.out,
                                           self._snapshot_pattern))
        if snapshots:
            last = max(snapshots, key=os.path.getmtime)
            kept = 'the last good snapshot, {}, is kept'.format(last)
        else:
            kept = 'no snapshot was written yet in {}'.format(trainer.out)
        raise NonFiniteLossError(
            '{}; training stopped and {}. Resume from it with --resume '
            '(perhaps with a smaller learning rate).'.format(what, kept))
