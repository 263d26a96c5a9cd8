import glob
import os

import numpy

import chainer
import pytest

from chainer.training import extensions

from sparsemask.extensions import FailOnNonFinite
from sparsemask.extensions import NonFiniteLossError
from sparsemask.extensions import SnapshotRetention
from tests.extensions.trainer_util import make_trainer
from tests.extensions.trainer_util import ScriptedLoss


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
    with pytest.raises(NonFiniteLossError, match='main/loss is nan at '
                       'iteration 2.*No snapshot was written yet'):
        trainer.run()


def run_until_failure(out, losses, poison=None, is_writer=True,
                      rates=(('train.lr_encoder', 0.1),
                             ('train.lr_decoder', 5))):
    """Snapshots every iteration, 2 kept, the loss of iteration ``i`` is
    ``losses[i - 1]`` (unsmoothed); returns the error's message."""
    trainer, _ = make_trainer(out, max_iter=len(losses))
    trainer.extend(ScriptedLoss(losses))
    if poison is not None:
        trainer.extend(PoisonAt(poison))
    retention = SnapshotRetention(2, decay=0, factor=2, is_writer=is_writer)
    trainer.extend(FailOnNonFinite(retention=retention, learning_rates=rates,
                                   is_writer=is_writer))
    trainer.extend(extensions.snapshot(), trigger=(1, 'iteration'))
    trainer.extend(retention)
    with pytest.raises(NonFiniteLossError) as e:
        trainer.run()
    message = str(e.value)
    assert '\n' not in message
    return message


def in_out(out):
    return sorted(os.path.basename(p) for p in
                  glob.glob(os.path.join(out, 'snapshot_iter_*')))


def test_moves_the_snapshots_taken_after_the_loss_started_growing(tmp_path):
    out = str(tmp_path)
    diverged = os.path.join(out, 'diverged')
    os.makedirs(diverged)
    with open(os.path.join(diverged, 'snapshot_iter_6'), 'w') as f:
        f.write('an earlier failure')
    # the loss is more than twice its minimum (1.0) from iteration 5 on:
    # snapshot 3 is the last taken before, and the 2 newest (6, 7) are
    # diverged
    nan = float('nan')
    message = run_until_failure(
        out, [2.0, 1.0, 1.2, 1.5, 2.5, 6.0, 20.0, nan, 1.0])
    assert message.startswith('main/loss is nan at iteration 8;')
    assert 'from iteration 5 on' in message
    assert 'moved the snapshots taken after iteration 3 (snapshot_iter_6, ' \
        'snapshot_iter_7) to {}'.format(diverged) in message
    assert '--resume starts from {} (iteration 3)'.format(
        os.path.join(out, 'snapshot_iter_3')) in message
    assert message.endswith(
        'rerun the command with --resume and the overrides '
        'train.lr_encoder=0.01 train.lr_decoder=0.5 (the learning rates '
        'divided by 10).')
    # a plain --resume finds snapshot 3 only; nothing was deleted, and the
    # file of the earlier failure is kept too
    assert in_out(out) == ['snapshot_iter_3']
    assert sorted(os.listdir(diverged)) == [
        'snapshot_iter_6', 'snapshot_iter_6.1', 'snapshot_iter_7']
    with open(os.path.join(diverged, 'snapshot_iter_6')) as f:
        assert f.read() == 'an earlier failure'
    with numpy.load(os.path.join(diverged, 'snapshot_iter_7')) as f:
        assert int(f['updater/iteration']) == 7


def test_a_sudden_nan_loss_moves_the_snapshot_that_gave_it(tmp_path):
    # the loss of iteration 6 is that of the parameters of snapshot 5
    out = str(tmp_path)
    message = run_until_failure(out, [1.0] * 5 + [float('nan'), 1.0])
    assert message.startswith('main/loss is nan at iteration 6;')
    assert 'grew' not in message
    assert 'Moved the snapshot taken after iteration 4 (snapshot_iter_5)' \
        in message
    assert '(iteration 4)' in message
    assert in_out(out) == ['snapshot_iter_4']


def test_a_non_finite_parameter_resumes_from_the_last_snapshot(tmp_path):
    # the loss of iteration 4 is finite: snapshot 3 is good, and the update
    # of iteration 4 made the parameter NaN
    out = str(tmp_path)
    message = run_until_failure(out, [1.0] * 6, poison=4)
    assert message.startswith(
        'parameter /predictor/head/W of optimizer main is not finite at '
        'iteration 4;')
    assert 'moved' not in message
    assert '--resume starts from {} (iteration 3)'.format(
        os.path.join(out, 'snapshot_iter_3')) in message
    assert in_out(out) == ['snapshot_iter_2', 'snapshot_iter_3']
    assert not os.path.exists(os.path.join(out, 'diverged'))


def test_no_snapshot_predates_the_growth(tmp_path):
    out = str(tmp_path)
    message = run_until_failure(out, [1.0, 5.0, 20.0, float('nan'), 1.0])
    assert 'from iteration 2 on' in message
    assert 'moved the snapshots taken after iteration 0 (snapshot_iter_2, ' \
        'snapshot_iter_3)' in message
    assert message.endswith(
        'no snapshot predates the growth: start over into a fresh --out '
        'with the overrides train.lr_encoder=0.01 train.lr_decoder=0.5 (the '
        'learning rates divided by 10).')
    assert in_out(out) == []


def test_only_the_writer_moves_snapshots(tmp_path):
    out = str(tmp_path)
    message = run_until_failure(
        out, [2.0, 1.0, 1.2, 1.5, 2.5, 6.0, 20.0, float('inf'), 1.0],
        is_writer=False)
    assert message.startswith('main/loss is inf at iteration 8;')
    assert 'first process' in message and 'moved' not in message
    assert in_out(out) == ['snapshot_iter_{}'.format(i) for i in range(1, 8)]
