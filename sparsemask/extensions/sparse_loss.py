import chainer
from chainer.training import extension

from sparsemask.extensions._target import search_model
from sparsemask.links.sparse_mask import SEARCH_LOSSES


class _SparseLossHook(object):

    name = 'sparse_loss'
    call_for_each_param = False
    timing = 'pre'

    def __init__(self, owner, model):
        self.owner = owner
        self.model = model

    def __call__(self, optimizer):
        with chainer.using_config('enable_backprop', True):
            loss = self.model.sparse_loss(self.owner.lam, self.owner.loss)
        loss.backward()
        chainer.reporter.report({'main/sparse_loss': loss.array})


class SparseLoss(extension.Extension):
    """Adds the sparse loss to the search objective (paper Eq. 3).

    The objective becomes ``L_task + lam * sum_l L_s(w_l, alpha_l)``: at
    every update, after the task loss' backward pass (and, under ChainerMN,
    after the gradients are averaged across processes, so every process
    adds the same term once), a pre-update optimizer hook adds the gradient
    of the sparse term to the connection weights. The term is reported as
    ``main/sparse_loss``, apart from the task loss ``main/loss``.

    With ``loss='l1'`` the term is the L1 penalty ``lam * sum_l sum_t
    |w_l^t|`` instead (the paper's comparison, Sec. 4.2; see
    :meth:`sparsemask.links.SparseMask.sparse_loss`), added and reported
    the same way.

    Args:
        lam (float): lambda (0.01 in the paper).
        model (~sparsemask.links.SparseMask): by default the main
            optimizer's target (or its ``predictor``).
        loss (str): ``'sparse'`` (paper Eq. 2) or ``'l1'``.

    """

    trigger = 1, 'iteration'
    priority = extension.PRIORITY_READER

    def __init__(self, lam=0.01, model=None, loss='sparse'):
        if loss not in SEARCH_LOSSES:
            raise ValueError('unknown search loss {!r}; valid: {}'.format(
                loss, ', '.join(SEARCH_LOSSES)))
        self.lam = float(lam)
        self.loss = loss
        self._model = model

    def initialize(self, trainer):
        model = search_model(trainer, self._model)
        optimizer = trainer.updater.get_optimizer('main')
        actual = getattr(optimizer, 'actual_optimizer', optimizer)
        if _SparseLossHook.name not in actual._hookable._pre_update_hooks:
            optimizer.add_hook(_SparseLossHook(self, model))

    def __call__(self, trainer):
        pass

    def serialize(self, serializer):
        self.lam = float(serializer('lam', self.lam))
