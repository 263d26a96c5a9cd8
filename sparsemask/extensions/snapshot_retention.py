from __future__ import division

import math
import os

import numpy

import chainer
from chainer.training import extension

from sparsemask.utils.snapshot_files import list_snapshots


class SnapshotRetention(extension.Extension):
    """Keeps the newest snapshots and the newest one taken before the loss
    started growing.

    Chainer's ``n_retains`` keeps the ``n`` newest snapshots: when the loss
    grows for longer than ``n`` snapshots before it overflows, every
    snapshot left is already diverged and a resume fails again. This
    extension owns the retention instead (give the snapshot extension
    ``n_retains=-1``). It follows a smoothed task loss, an exponential
    moving average ``s_k = decay * s_(k-1) + (1 - decay) * loss_k`` started
    at the first loss, and its running minimum ``m_k``. The loss counts as
    not growing at iteration ``k`` while ``s_k <= factor * m_k``; the last
    such iteration is ``L``. The loss reported at iteration ``k`` is that of
    the parameters after update ``k - 1``, so the parameters known not to be
    diverged are those of the snapshots up to iteration ``L - 1``:
    :attr:`last_good_iteration`.

    After each snapshot is written (the extension runs after Chainer's
    snapshot, priority -100) it keeps the ``n_retains`` newest snapshots
    and the newest one up to :attr:`last_good_iteration`, and deletes the
    others: at most one snapshot more than ``n_retains``, and none while
    the loss keeps decreasing (that one is then among the newest).
    Snapshots are files named ``snapshot_iter_<N>`` in the trainer's out
    directory, ordered by ``N`` (never by modification time); those of a
    later iteration than the trainer's are left alone.

    The moving average damps the noise of single batches (with ``decay =
    0.9`` a batch must lose ``10 (factor - 1) + 1`` times the average to
    cross the threshold alone), and a false alarm only keeps one snapshot
    more until the average is back under the threshold. The price is a lag:
    a loss that triples every iteration passes the threshold two
    iterations into its growth, one that jumps a hundredfold at once
    passes it at once. Non-finite losses
    are ignored (:class:`~sparsemask.extensions.FailOnNonFinite` stops the
    training on them).

    The state is saved with the trainer. A snapshot of iteration ``k`` is
    written before this extension runs at ``k``, so :meth:`serialize` first
    takes the loss of iteration ``k`` in (:meth:`observe` takes each
    iteration once): a resumed run follows the same average as an
    uninterrupted one.

    The loss must not be negative (a cross entropy).

    A loss can hide a blow-up: after batch normalisation a layer's output
    does not change when its weights grow a thousandfold, and the loss
    stays low while the weights and the optimizer's velocity are already
    huge; a snapshot of such weights diverges again when resumed. So the
    extension also follows, at every iteration ``k``, the norm of all the
    parameters after update ``k``, ``|theta_k|``, and of the optimizer's
    velocity ``v`` (the step of update ``k``, where the rule keeps one:
    :class:`~chainer.optimizers.MomentumSGD`), ``|v_k|``, both against the
    parameter norm at the start of the run, ``|theta_0|``. The parameters
    count as calm while ``|theta_k| <= norm_factor |theta_0|`` and
    ``|v_k| <= step_factor |theta_0|``; a snapshot counts as good when
    its parameters were calm and the loss they gave was not growing:
    :attr:`last_good_iteration` is the newest iteration that is both.
    (Measured on the tiny synthetic search, MobileNetV2 with a random
    encoder at the demo's rate 0.05: ``|theta|`` grew to 15x ``|theta_0|``
    in 20 iterations, the first step was 1.7x; at rate 5 the first step
    alone was 170x. The defaults leave a margin over the first; with a
    pretrained encoder the norms move by a few per cent.)

    Args:
        n_retains (int): how many of the newest snapshots to keep; 0 or
            negative keeps every snapshot.
        key (str): the observed loss to follow.
        decay (float): the weight of the past in the moving average, in
            ``[0, 1)``.
        factor (float): how many times its minimum the smoothed loss may
            reach while the loss counts as not growing; above 1.
        is_writer (bool): whether this process may delete snapshots (only
            rank 0 under ChainerMN); the others only follow the loss.
        norm_factor (float): how many times the initial parameter norm
            the parameter norm may reach while calm; None: not followed.
        step_factor (float): how many times the initial parameter norm
            the velocity's norm may reach while calm; None: not followed.

    """

    trigger = 1, 'iteration'
    priority = -200

    def __init__(self, n_retains, key='main/loss', decay=0.9, factor=2.0,
                 is_writer=True, norm_factor=100.0, step_factor=10.0):
        if not 0 <= decay < 1:
            raise ValueError('decay must be in [0, 1), not {}'.format(decay))
        if not factor > 1:
            raise ValueError('factor must be above 1, not {}'.format(factor))
        self.n_retains = int(n_retains)
        self.key = key
        self.decay = float(decay)
        self.factor = float(factor)
        for name, value in (('norm_factor', norm_factor),
                            ('step_factor', step_factor)):
            if value is not None and not value > 0:
                raise ValueError('{} must be positive or None, not {}'.format(
                    name, value))
        self.norm_factor = norm_factor
        self.step_factor = step_factor
        self._is_writer = is_writer
        self._trainer = None
        # state (saved with the trainer); -1: none yet
        self._iteration = -1    # the last iteration taken in
        self._count = 0         # losses taken in
        self._smoothed = 0.0
        self._minimum = 0.0
        self._minimum_iteration = -1
        self._last_low = -1     # last iteration not growing
        self._initial_norm = -1.0   # |theta_0|
        self._last_calm = -1    # last iteration with calm parameters
        # the first iteration of the current blow-up, and its norms
        self._blowup = (-1, 0.0, 0.0)

    @property
    def last_good_iteration(self):
        """int: the newest iteration whose snapshot was taken before the
        loss started growing (the loss of its parameters was observed, and
        was not growing) and before the parameters blew up; 0 if that is
        only the initial state, None before anything was observed."""
        bounds = []
        if self._last_low >= 0:
            bounds.append(self._last_low - 1)
        if self._last_calm >= 0:
            bounds.append(self._last_calm)
        return min(bounds) if bounds else None

    @property
    def blown_up(self):
        """bool: whether the parameters of the last observed iteration were
        not calm (a parameter or velocity norm above its limit)."""
        return self._blowup[0] >= 0

    def growth_notes(self):
        """What the growth of the loss and the norms looked like, for an
        error message.

        Returns:
            list of str: one sentence each (empty when neither grew).

        """
        notes = []
        if self.growing:
            notes.append(
                'The smoothed {} grew above {:g}x its minimum ({:.4g} at '
                'iteration {}) from iteration {} on (to {:.4g})'.format(
                    self.key, self.factor, self._minimum,
                    self._minimum_iteration, self.growth_start,
                    self._smoothed))
        if self.blown_up:
            iteration, norm, step = self._blowup
            notes.append(
                'the parameters blew up at iteration {}: parameter norm '
                '{:.4g}, step (velocity) norm {:.4g}, against {:.4g} at the '
                'start (limits {:g}x and {:g}x)'.format(
                    iteration, norm, step, self._initial_norm,
                    self.norm_factor or float('inf'),
                    self.step_factor or float('inf')))
        return notes

    @property
    def growing(self):
        """bool: whether the smoothed loss is now above ``factor`` times its
        minimum."""
        return self._count > 0 and \
            self._smoothed > self.factor * self._minimum

    @property
    def growth_start(self):
        """int: the first iteration of the current growth; None when the
        loss is not growing."""
        return self._last_low + 1 if self.growing else None

    @property
    def smoothed(self):
        """float: the smoothed loss; None before the first loss."""
        return self._smoothed if self._count else None

    @property
    def minimum(self):
        """tuple: ``(value, iteration)`` of the minimum of the smoothed
        loss; None before the first loss."""
        if not self._count:
            return None
        return self._minimum, self._minimum_iteration

    def initialize(self, trainer):
        self._trainer = trainer
        if self._initial_norm < 0 and self._follows_norms:
            # the start of the run (or, resuming a snapshot of a version
            # that did not save it, the snapshot's parameters)
            self._initial_norm, _ = self._norms(trainer)
            if trainer.updater.iteration > self._last_calm:
                self._last_calm = trainer.updater.iteration

    @property
    def _follows_norms(self):
        return self.norm_factor is not None or self.step_factor is not None

    @staticmethod
    def _norms(trainer):
        """``(|theta|, |v|)`` of the main optimizer's target, in float64."""
        optimizer = trainer.updater.get_optimizer('main')
        squares = [0.0, 0.0]
        for param in optimizer.target.params():
            if param.array is None:
                continue
            arrays = [param.array]
            rule = param.update_rule
            state = None if rule is None else rule.state
            arrays.append(None if not state else state.get('v'))
            for i, a in enumerate(arrays):
                if a is not None:
                    a = a.ravel().astype('d')
                    squares[i] = squares[i] + a.dot(a)
        return tuple(math.sqrt(float(chainer.backends.cuda.to_cpu(q)))
                     for q in squares)

    def _observe_norms(self, trainer, iteration):
        if not self._follows_norms or self._initial_norm < 0:
            return
        norm, step = self._norms(trainer)
        base = self._initial_norm
        calm = all(math.isfinite(x) for x in (norm, step)) and (
            self.norm_factor is None or norm <= self.norm_factor * base) \
            and (self.step_factor is None or step <= self.step_factor * base)
        if calm:
            self._last_calm = iteration
            self._blowup = (-1, 0.0, 0.0)
        elif self._blowup[0] < 0:
            self._blowup = (iteration, norm, step)

    def observe(self, trainer):
        """Takes the loss of the trainer's current iteration in, once.

        Args:
            trainer (~chainer.training.Trainer): the trainer.

        Returns:
            bool: whether a loss was taken in (False if it was already, or
            is not observed, or is not finite).

        """
        iteration = trainer.updater.iteration
        if iteration <= self._iteration:
            return False
        self._iteration = iteration
        self._observe_norms(trainer, iteration)
        value = trainer.observation.get(self.key)
        if value is None:
            return False
        value = float(chainer.backends.cuda.to_cpu(
            getattr(value, 'array', value)))
        if not math.isfinite(value):
            return False
        if self._count == 0:
            self._smoothed = value
        else:
            self._smoothed = self.decay * self._smoothed + \
                (1 - self.decay) * value
        self._count += 1
        if self._count == 1 or self._smoothed < self._minimum:
            self._minimum = self._smoothed
            self._minimum_iteration = iteration
        if not self.growing:
            self._last_low = iteration
        return True

    def __call__(self, trainer):
        self.observe(trainer)
        if self._is_writer and self.n_retains > 0:
            self.prune(trainer.out, trainer.updater.iteration)

    def prune(self, directory, iteration):
        """Deletes the snapshots not kept.

        Args:
            directory (str): the out directory.
            iteration (int): the trainer's iteration; later snapshots are
                left alone.

        Returns:
            list of str: the deleted files.

        """
        snapshots = [(i, path) for i, path in list_snapshots(directory)
                     if i <= iteration]
        keep = {i for i, _ in snapshots[-self.n_retains:]}
        good = self.last_good_iteration
        if good is not None:
            before = [i for i, _ in snapshots if i <= good]
            if before:
                keep.add(before[-1])
        removed = []
        for i, path in snapshots:
            if i not in keep:
                os.remove(path)
                removed.append(path)
        return removed

    def serialize(self, serializer):
        if isinstance(serializer, chainer.serializer.Serializer) and \
                self._trainer is not None:
            # the snapshot of this iteration is written before __call__
            self.observe(self._trainer)
        try:
            iteration = serializer('_iteration', self._iteration)
        except KeyError:
            # a snapshot of a version without this extension: start afresh
            return
        self._iteration = int(iteration)
        self._count = int(serializer('_count', self._count))
        self._smoothed = float(serializer('_smoothed', self._smoothed))
        self._minimum = float(serializer('_minimum', self._minimum))
        self._minimum_iteration = int(serializer(
            '_minimum_iteration', self._minimum_iteration))
        self._last_low = int(serializer('_last_low', self._last_low))
        try:
            initial = serializer('_initial_norm', self._initial_norm)
        except KeyError:
            # a snapshot of a version that did not follow the norms
            return
        self._initial_norm = float(initial)
        self._last_calm = int(serializer('_last_calm', self._last_calm))
        blowup = serializer('_blowup', numpy.array(self._blowup, 'd'))
        self._blowup = (int(blowup[0]), float(blowup[1]), float(blowup[2]))
