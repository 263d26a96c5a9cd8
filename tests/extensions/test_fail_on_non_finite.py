import os

import chainer
import pytest

from chainer.training import extensions

from sparsemask.extensions import FailOnNonFinite
from sparsemask.extensions import NonFiniteLossError
from tests.extensions.trainer_util import make_trainer


class PoisonAt(chainer.training.Extension):
    """Makes a parameter NaN after update ``iteration`` (priority above
    everything, like a diverging update)."""

    priority = 10000

    def __init__(self, iteration):
        self.iteration = iteration

    def __call__(self, trainer):
        if trainer.updater.iteration == self.iteration:
            model = trainer.updater.get_optimizer('main').target
            model.predictor.head.W.array[0, 0] = float('nan')


def test_stops_with_iteration_and_keeps_last_good_snapshot(tmp_path):
    out = str(tmp_path)
    trainer, _ = make_trainer(out, max_iter=10)
    trainer.extend(PoisonAt(4))
    trainer.extend(FailOnNonFinite())
    trainer.extend(extensions.snapshot(), trigger=(1, 'iteration'))
    with pytest.raises(NonFiniteLossError) as e:
        trainer.run()
    message = str(e.value)
    assert 'iteration 4' in message
    assert 'predictor/head/W' in message
    assert 'snapshot_iter_3' in message
    # the diverged state was never written
    assert sorted(f for f in os.listdir(out) if f.startswith('snapshot')) \
        == ['snapshot_iter_{}'.format(i) for i in (1, 2, 3)]


def test_nan_loss_is_named(tmp_path):
    out = str(tmp_path)
    trainer, _ = make_trainer(out, max_iter=10)

    class NaNLoss(chainer.training.Extension):
        priority = 10000

        def __call__(self, trainer):
            if trainer.updater.iteration == 2:
                trainer.observation['main/loss'] = float('nan')

    trainer.extend(NaNLoss())
    trainer.extend(FailOnNonFinite())
    with pytest.raises(NonFiniteLossError,
                       match='main/loss is nan at iteration 2.*no snapshot'):
        trainer.run()
