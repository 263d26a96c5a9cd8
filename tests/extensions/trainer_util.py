"""A small search trainer on TinyBackbone for the extension tests."""

import numpy

import chainer
from chainer import training
from chainercv.links import PixelwiseSoftmaxClassifier

from sparsemask.links import SparseMask
from tests.tiny_backbone import TinyBackbone


def make_dataset(n=8, size=16, n_class=3, seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, 3, size, size).astype(numpy.float32)
    t = rng.randint(0, n_class, (n, size, size)).astype(numpy.int32)
    return chainer.datasets.TupleDataset(x, t)


def make_trainer(out, max_iter=6, search=True, seed=0, lr=0.1,
                 extensions=()):
    """Returns ``(trainer, model)``; the data order is fixed (no shuffle)."""
    numpy.random.seed(seed)
    model = SparseMask(TinyBackbone(), 3, search=search, channels=8)
    classifier = PixelwiseSoftmaxClassifier(model)
    optimizer = chainer.optimizers.MomentumSGD(lr=lr)
    optimizer.setup(classifier)
    it = chainer.iterators.SerialIterator(make_dataset(), 2, shuffle=False)
    updater = training.updaters.StandardUpdater(it, optimizer)
    trainer = training.Trainer(updater, (max_iter, 'iteration'), out=out)
    for ext in extensions:
        trainer.extend(ext)
    return trainer, model


class Recorder(object):
    """An optimizer hook recording, before each update, the lr of every
    parameter and a copy of every gradient."""

    name = 'recorder'
    call_for_each_param = False
    timing = 'pre'

    def __init__(self):
        self.lrs = []
        self.grads = []

    def __call__(self, optimizer):
        target = optimizer.target
        self.lrs.append({n: p.update_rule.hyperparam.lr
                         for n, p in target.namedparams()})
        self.grads.append({n: None if p.grad is None else p.grad.copy()
                           for n, p in target.namedparams()})


class ScriptedLoss(chainer.training.Extension):
    """Replaces ``main/loss`` of iteration ``i`` by ``losses[i - 1]``
    (priority above everything, as if the updater had reported it)."""

    priority = 10000

    def __init__(self, losses):
        self.losses = losses

    def __call__(self, trainer):
        trainer.observation['main/loss'] = self.losses[
            trainer.updater.iteration - 1]
