import os

import numpy

import chainer
import pytest

from chainer.training import extensions

from sparsemask.extensions import SnapshotRetention
from sparsemask.utils.snapshot_files import list_snapshots
from tests.extensions.trainer_util import make_trainer
from tests.extensions.trainer_util import ScriptedLoss


class ListSnapshots(chainer.training.Extension):
    """Records the snapshot iterations on disk after every iteration
    (after the retention)."""

    priority = -1000

    def __init__(self):
        self.seen = {}

    def __call__(self, trainer):
        self.seen[trainer.updater.iteration] = [
            i for i, _ in list_snapshots(trainer.out)]


def run_scripted(out, losses, retention, max_iter=None, resume=None):
    trainer, _ = make_trainer(out, max_iter=max_iter or len(losses))
    trainer.extend(ScriptedLoss(losses))
    trainer.extend(extensions.snapshot(n_retains=-1),
                   trigger=(1, 'iteration'))
    trainer.extend(retention)
    listing = ListSnapshots()
    trainer.extend(listing)
    if resume is not None:
        chainer.serializers.load_npz(resume, trainer)
    trainer.run()
    return trainer, listing.seen


def snapshot_iterations(out):
    return [i for i, _ in list_snapshots(out)]


def test_keeps_the_newest_and_the_last_before_the_growth(tmp_path):
    out = str(tmp_path)
    # without smoothing: the minimum is 1.0 at iteration 2; the loss is
    # more than twice that from iteration 5 on
    losses = [2.0, 1.0, 1.2, 1.5, 2.5, 6.0, 20.0, 50.0]
    retention = SnapshotRetention(2, decay=0, factor=2)
    _, seen = run_scripted(out, losses, retention)
    # the loss of iteration 5 is that of the parameters of snapshot 4:
    # snapshot 3 is the last taken before the growth
    assert retention.last_good_iteration == 3
    assert retention.growing and retention.growth_start == 5
    assert retention.minimum == (1.0, 2)
    assert seen[2] == [1, 2]
    assert seen[3] == [2, 3]
    assert seen[4] == [3, 4]          # 3 is still among the 2 newest
    assert seen[5] == [3, 4, 5]       # kept beside the 2 newest
    assert seen[8] == [3, 7, 8]
    assert snapshot_iterations(out) == [3, 7, 8]


def test_nothing_more_than_n_while_the_loss_decreases(tmp_path):
    out = str(tmp_path)
    losses = [3.0 * 0.9 ** i for i in range(10)]
    retention = SnapshotRetention(2)
    _, seen = run_scripted(out, losses, retention)
    assert not retention.growing
    assert retention.last_good_iteration == 9
    assert all(len(s) <= 2 for s in seen.values()), seen
    assert snapshot_iterations(out) == [9, 10]


def test_one_noisy_batch_is_not_growth_but_a_steady_rise_is(tmp_path):
    # the default moving average (decay 0.9, factor 2): a batch five times
    # the others is noise; a loss that triples every iteration is a growth
    noisy = [1.0, 1.0, 1.0, 5.0, 1.0, 1.0, 1.0, 1.0]
    retention = SnapshotRetention(2)
    run_scripted(str(tmp_path / 'noisy'), noisy, retention)
    assert not retention.growing
    assert retention.last_good_iteration == 7
    assert snapshot_iterations(str(tmp_path / 'noisy')) == [7, 8]

    rising = [1.0, 1.0, 1.0, 3.0, 9.0, 27.0, 81.0, 243.0]
    retention = SnapshotRetention(2)
    run_scripted(str(tmp_path / 'rising'), rising, retention)
    # the average (1.2, 1.98, 4.48) passes twice its minimum (1.0) at
    # iteration 6, two iterations into the rise: the lag of the smoothing
    assert retention.growth_start == 6
    assert retention.last_good_iteration == 4
    assert snapshot_iterations(str(tmp_path / 'rising')) == [4, 7, 8]


def test_non_finite_losses_are_ignored(tmp_path):
    retention = SnapshotRetention(2, decay=0)
    run_scripted(str(tmp_path), [2.0, float('nan'), 1.0, float('inf')],
                 retention)
    assert retention.smoothed == 1.0
    assert retention.last_good_iteration == 2


def test_orders_by_iteration_and_touches_only_snapshots(tmp_path):
    out = str(tmp_path)
    names = ['snapshot_iter_{}'.format(i) for i in (2, 9, 10, 11, 30)] + [
        'snapshot_iter_5.bak', 'snapshot_iter_x', 'tmpsnapshot_iter_3',
        'model.npz']
    for k, name in enumerate(names):
        with open(os.path.join(out, name), 'w') as f:
            f.write('x')
    # the older the iteration, the newer the file: a choice by mtime
    # would keep 2 and 9
    for k, name in enumerate(names):
        t = 1e9 - 1000 * k
        os.utime(os.path.join(out, name), (t, t))
    retention = SnapshotRetention(2)
    removed = retention.prune(out, 20)
    assert sorted(os.path.basename(p) for p in removed) == [
        'snapshot_iter_2', 'snapshot_iter_9']
    # 30 is later than the trainer: left alone
    assert sorted(os.listdir(out)) == sorted(
        set(names) - {'snapshot_iter_2', 'snapshot_iter_9'})


def test_only_the_writer_deletes(tmp_path):
    out = str(tmp_path)
    retention = SnapshotRetention(2, decay=0, is_writer=False)
    run_scripted(out, [2.0, 1.0, 1.0, 1.0, 1.0], retention)
    assert snapshot_iterations(out) == [1, 2, 3, 4, 5]
    assert retention.last_good_iteration == 4


def test_resume_continues_the_same_state(tmp_path):
    losses = [2.0, 1.5, 1.0, 1.4, 0.9, 3.0, 9.0, 4.0, 27.0, 81.0]
    full = SnapshotRetention(2)
    run_scripted(str(tmp_path / 'full'), losses, full)
    assert full.growing     # the state to be restored is not trivial

    first = SnapshotRetention(2)
    run_scripted(str(tmp_path / 'part'), losses, first, max_iter=6)
    snapshot = str(tmp_path / 'part' / 'snapshot_iter_6')
    # the snapshot of iteration 6, written before the extension runs at 6,
    # holds the loss of iteration 6
    with numpy.load(snapshot) as f:
        assert int(f['extensions/SnapshotRetention/_iteration']) == 6
        assert int(f['extensions/SnapshotRetention/_count']) == 6

    resumed = SnapshotRetention(2)
    run_scripted(str(tmp_path / 'part'), losses, resumed, resume=snapshot)
    for name in ('smoothed', 'minimum', 'last_good_iteration',
                 'growth_start'):
        assert getattr(resumed, name) == pytest.approx(getattr(full, name))
    assert resumed._count == full._count == len(losses)
    assert snapshot_iterations(str(tmp_path / 'part')) == \
        snapshot_iterations(str(tmp_path / 'full'))


@pytest.mark.filterwarnings("ignore:The previous value")
def test_loads_a_snapshot_taken_without_it(tmp_path):
    out = str(tmp_path)
    trainer, _ = make_trainer(out, max_iter=2)
    trainer.extend(extensions.snapshot(), trigger=(2, 'iteration'))
    trainer.run()
    retention = SnapshotRetention(2, decay=0)
    run_scripted(out, [1.0, 1.0, 1.0, 0.5], retention,
                 resume=os.path.join(out, 'snapshot_iter_2'))
    # the losses of the iterations after the resume only
    assert retention._count == 2 and retention.minimum == (0.5, 4)


@pytest.mark.parametrize('kwargs', [dict(decay=1.0), dict(decay=-0.1),
                                    dict(factor=1.0)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        SnapshotRetention(2, **kwargs)


# --- the norms: a blow-up the loss does not show ------------------------

class Scale(chainer.training.Extension):
    """After the update of iteration ``at``, multiplies every parameter
    (``what='params'``) or every velocity (``'steps'``) of the model by
    ``factor`` (as a batch-normalised network's loss would not show),
    once."""

    priority = 20000

    def __init__(self, at, factor, what='params'):
        self.at, self.factor, self.what = at, factor, what

    def __call__(self, trainer):
        if trainer.updater.iteration != self.at:
            return
        for p in trainer.updater.get_optimizer('main').target.params():
            if self.what == 'params':
                p.array *= self.factor
            else:
                p.update_rule.state['v'] *= self.factor


def run_scaled(out, scale, retention, n=8, resume=None, max_iter=None):
    trainer, model = make_trainer(out, max_iter=max_iter or n,
                                  extensions=[scale])
    initial = numpy.sqrt(sum(float((p.array.astype('d') ** 2).sum())
                             for p in model.params()))
    trainer.extend(ScriptedLoss([1.0] * n))      # a flat loss
    trainer.extend(extensions.snapshot(n_retains=-1),
                   trigger=(1, 'iteration'))
    trainer.extend(retention)
    if resume is not None:
        chainer.serializers.load_npz(resume, trainer)
    trainer.run()
    return trainer, initial


def test_parameters_that_blow_up_under_a_flat_loss(tmp_path):
    out = str(tmp_path / 'a')
    retention = SnapshotRetention(2, decay=0)
    _, initial = run_scaled(out, Scale(4, 1000.0), retention)
    assert retention._initial_norm == pytest.approx(initial, rel=1e-6)
    assert not retention.growing            # the loss shows nothing
    assert retention.blown_up
    assert retention.last_good_iteration == 3
    assert snapshot_iterations(out) == [3, 7, 8]
    notes = retention.growth_notes()
    assert len(notes) == 1 and 'blew up at iteration 4' in notes[0]
    # without following the norms: the newest two only
    out = str(tmp_path / 'b')
    retention = SnapshotRetention(2, decay=0, norm_factor=None,
                                  step_factor=None)
    run_scaled(out, Scale(4, 1000.0), retention)
    assert retention.last_good_iteration == 7
    assert snapshot_iterations(out) == [7, 8]


def test_a_huge_step_is_a_blow_up_and_calm_returns(tmp_path):
    out = str(tmp_path)
    retention = SnapshotRetention(2, decay=0)
    # the velocity of update 4 made 1e6 times larger: its parameters (and
    # those after it) are far from where they were; a small factor keeps
    # them calm
    run_scaled(out, Scale(4, 1e6, what='steps'), retention)
    assert retention.blown_up and retention.last_good_iteration == 3
    out = str(tmp_path / 'calm')
    retention = SnapshotRetention(2, decay=0)
    run_scaled(out, Scale(4, 1.5, what='steps'), retention)
    assert not retention.blown_up and retention.last_good_iteration == 7


def test_resume_keeps_the_norms_of_the_start(tmp_path):
    full = SnapshotRetention(2, decay=0)
    run_scaled(str(tmp_path / 'full'), Scale(6, 1000.0), full)
    part = str(tmp_path / 'part')
    run_scaled(part, Scale(6, 1000.0), SnapshotRetention(2, decay=0),
               max_iter=5)
    resumed = SnapshotRetention(2, decay=0)
    run_scaled(part, Scale(6, 1000.0), resumed,
               resume=os.path.join(part, 'snapshot_iter_5'))
    # the initial norm is that of iteration 0, not of the snapshot
    assert resumed._initial_norm == full._initial_norm
    assert resumed.last_good_iteration == full.last_good_iteration == 5
    assert resumed._blowup == pytest.approx(full._blowup)


@pytest.mark.parametrize('kwargs', [dict(norm_factor=0),
                                    dict(step_factor=-1.0)])
def test_bad_norm_factors(kwargs):
    with pytest.raises(ValueError, match='factor must be positive'):
        SnapshotRetention(2, **kwargs)
