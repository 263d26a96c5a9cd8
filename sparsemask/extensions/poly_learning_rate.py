from __future__ import division

import chainer
from chainer.training import extension


#: update rules whose state ``v`` holds the learning rate
_RATE_IN_STATE = (chainer.optimizers.momentum_sgd.MomentumSGDRule,
                  chainer.optimizers.nesterov_ag.NesterovAGRule)


class PolyLearningRate(extension.Extension):
    """Poly learning rate for groups of parameters with their own base
    rates (the paper's encoder 0.005 and decoder 0.05).

    The update with index ``t`` (``t = 0 .. max_iter - 1``) runs at
    ``base_lr * (1 - t / max_iter) ** power``; after the last update the
    rate is 0. The rate is written into each parameter's update rule, so
    one optimizer serves every group, and is reported as ``lr/<group>``
    (the rate of the update just made).

    The rate is a function of the updater's iteration, never of a counter
    that a resume could reset: :meth:`initialize` reads the iteration, and
    :meth:`serialize` re-applies the rate of the restored iteration, so the
    first update after a resume uses the rate the uninterrupted run would
    use, whichever of this extension and the snapshot is initialised first
    (Chainer's ``PolynomialShift`` runs that update at the initial rate).

    A resume may change a group's base rate (``--resume`` with
    ``train.lr_decoder=...``). Chainer's :class:`~chainer.optimizers.MomentumSGD`
    (and :class:`~chainer.optimizers.NesterovAG`) keep the velocity ``v``
    already multiplied by the rate (``v <- momentum * v - lr * grad``), so
    a resume with a tenth of the rate would still apply the old step. The
    base rates are saved with the trainer, and when a snapshot of other
    base rates is loaded, the velocity of every parameter of a changed
    group is multiplied by ``new / old``: the state a run that had used the
    new rate from the start would have in the same position, with the same
    gradients (the poly factor is the same for both). Other rules' states
    (e.g. Adam's moments) do not hold the rate and are left alone.
    :attr:`rescaled` lists what was changed.

    A search may give the connection weights their own group
    (``train.lr_connection``): a group may list single parameters as well
    as links, e.g. ``('connection', 0.1, [stage.w for stage in ...])``,
    with the decoder group listing the decoder's other parameters.

    Args:
        groups (sequence of tuple): ``(name, base_lr, members)``;
            ``members`` is a :class:`chainer.Link`, a
            :class:`chainer.Parameter` or a sequence of them (a link stands
            for all its parameters). Every parameter of the optimizer's
            target must be in exactly one group.
        max_iter (int): the number of updates.
        power (float): the exponent (0.9 in the paper).
        optimizer (~chainer.Optimizer): by default the updater's main one.

    """

    trigger = 1, 'iteration'
    priority = extension.PRIORITY_WRITER

    def __init__(self, groups, max_iter, power=0.9, optimizer=None):
        if max_iter < 1:
            raise ValueError('max_iter must be positive, not {}'.format(
                max_iter))
        self._groups = []
        seen = {}
        for name, base_lr, members in groups:
            if isinstance(members, (chainer.Link, chainer.Parameter)):
                members = (members,)
            params = []
            for member in members:
                if isinstance(member, chainer.Link):
                    params.extend(member.params())
                elif isinstance(member, chainer.Parameter):
                    params.append(member)
                else:
                    raise TypeError(
                        'PolyLearningRate: group {} lists a {}; expected '
                        'links and parameters'.format(
                            name, type(member).__name__))
            for p in params:
                if id(p) in seen and seen[id(p)] != name:
                    raise ValueError(
                        'PolyLearningRate: a parameter{} is in the groups {} '
                        'and {}'.format(
                            '' if p.name is None else ' ' + p.name,
                            seen[id(p)], name))
                seen[id(p)] = name
            self._groups.append((name, float(base_lr), params))
        self._max_iter = int(max_iter)
        self._power = power
        self._optimizer = optimizer
        self._t = 0
        self._bound = False
        #: list of ``(group, old base rate, new base rate)`` whose velocity
        #: the last loaded snapshot rescaled
        self.rescaled = []

    def lr(self, base_lr, t):
        """The rate of update ``t`` for a group with base rate ``base_lr``.

        Args:
            base_lr (float): the group's base rate.
            t (int): the update index.

        Returns:
            float: the rate.

        """
        return base_lr * max(1 - t / self._max_iter, 0) ** self._power

    def initialize(self, trainer):
        optimizer = self._optimizer or trainer.updater.get_optimizer('main')
        target = optimizer.target
        grouped = {id(p) for _, _, params in self._groups for p in params}
        missing = [name for name, p in target.namedparams()
                   if id(p) not in grouped]
        if missing:
            raise ValueError(
                'PolyLearningRate: parameters in no group: {}'.format(
                    ', '.join(missing[:5])
                    + (' ...' if len(missing) > 5 else '')))
        self._bound = True
        self._apply(trainer.updater.iteration)

    def __call__(self, trainer):
        t = trainer.updater.iteration
        chainer.reporter.report(
            {'lr/' + name: self.lr(base_lr, t - 1)
             for name, base_lr, _ in self._groups})
        self._apply(t)

    def serialize(self, serializer):
        self._t = int(serializer('_t', self._t))
        loading = isinstance(serializer, chainer.serializer.Deserializer)
        for name, base_lr, params in self._groups:
            # (the trainer loads the updater, and with it the optimizer's
            # state, before its extensions)
            try:
                saved = float(serializer('base_lr/' + name, base_lr))
            except KeyError:
                # a snapshot of an older version, or a group it lacked
                continue
            if loading and saved != base_lr:
                self._rescale(params, saved, base_lr)
                self.rescaled.append((name, saved, base_lr))
        if loading and self._bound:
            self._apply(self._t)

    @staticmethod
    def _rescale(params, old, new):
        factor = new / old if old != 0 else 0.0
        for p in params:
            rule = p.update_rule
            if rule is None or rule.state is None:
                continue
            if isinstance(rule, _RATE_IN_STATE):
                v = rule.state.get('v')
                if v is not None:
                    v *= factor

    def _apply(self, t):
        self._t = t
        for _, base_lr, params in self._groups:
            lr = self.lr(base_lr, t)
            for p in params:
                if p.update_rule is None:
                    raise RuntimeError(
                        'PolyLearningRate: set up the optimizer before the '
                        'trainer runs')
                p.update_rule.hyperparam.lr = lr
