import os
import shutil

import numpy
import pytest

import chainer
from chainer.training import extensions

from sparsemask.extensions import PolyLearningRate
from tests.extensions.trainer_util import make_trainer
from tests.extensions.trainer_util import Recorder


MAX_ITER = 6
BASE = {'encoder': 0.005, 'decoder': 0.05}


def poly(base, t, max_iter=MAX_ITER, power=0.9):
    return base * (1 - t / max_iter) ** power


def setup(out, max_iter=MAX_ITER):
    trainer, model = make_trainer(out, max_iter=max_iter, search=False)
    ext = PolyLearningRate(
        [('encoder', BASE['encoder'], model.backbone),
         ('decoder', BASE['decoder'], [model.decoder, model.head])],
        max_iter)
    trainer.extend(ext)
    recorder = Recorder()
    trainer.updater.get_optimizer('main').add_hook(recorder)
    return trainer, model, ext, recorder


def group_lrs(recorder):
    """(encoder lr, decoder lr) of each update, checking every parameter
    of a group has the same one."""
    out = []
    for lrs in recorder.lrs:
        enc = {v for n, v in lrs.items()
               if n.startswith('/predictor/backbone')}
        dec = {v for n, v in lrs.items()
               if not n.startswith('/predictor/backbone')}
        assert len(enc) == 1 and len(dec) == 1
        out.append((enc.pop(), dec.pop()))
    return out


def test_two_groups_follow_poly_and_reach_zero(tmp_path):
    trainer, model, ext, recorder = setup(str(tmp_path))
    trainer.run()
    got = group_lrs(recorder)
    assert len(got) == MAX_ITER
    for t, (enc, dec) in enumerate(got):
        assert enc == pytest.approx(poly(BASE['encoder'], t), rel=1e-12)
        assert dec == pytest.approx(poly(BASE['decoder'], t), rel=1e-12)
    # after the last update the rate is 0
    for p in model.params():
        assert p.update_rule.hyperparam.lr == 0
    # the report is the rate of the update just made
    log_enc = trainer.observation['lr/encoder']
    assert log_enc == pytest.approx(poly(BASE['encoder'], MAX_ITER - 1))


def test_parameters_in_no_group_are_named(tmp_path):
    trainer, model = make_trainer(str(tmp_path), search=False)
    trainer.extend(PolyLearningRate([('decoder', 0.1, model.decoder)], 4))
    with pytest.raises(ValueError, match='backbone/c1'):
        trainer.run()


@pytest.mark.parametrize('load_first', [True, False])
def test_resume_uses_the_uninterrupted_rate(tmp_path, load_first):
    # uninterrupted
    trainer, _, _, rec_full = setup(str(tmp_path / 'full'))
    trainer.run()
    full = group_lrs(rec_full)

    # interrupted after 2 updates, snapshot, resumed in a new trainer
    trainer, _, _, _ = setup(str(tmp_path / 'a'), max_iter=MAX_ITER)
    trainer.stop_trigger = chainer.training.get_trigger((2, 'iteration'))
    trainer.run()
    snap = str(tmp_path / 'snap.npz')
    chainer.serializers.save_npz(snap, trainer)

    trainer, _, ext, rec = setup(str(tmp_path / 'b'))
    if load_first:
        # the snapshot is loaded before the extension is initialised
        chainer.serializers.load_npz(snap, trainer)
        trainer.run()
    else:
        # the extension is initialised first (at iteration 0), then the
        # snapshot is loaded: Chainer's PolynomialShift would then run the
        # next update at the initial rate
        trainer.extend(extensions.snapshot(autoload=True),
                       trigger=(100, 'iteration'))
        os.makedirs(str(tmp_path / 'b'))
        shutil.copy(snap, str(tmp_path / 'b' / 'snapshot_iter_2'))
        trainer.run()
    resumed = group_lrs(rec)
    assert len(resumed) == MAX_ITER - 2
    numpy.testing.assert_allclose(resumed, full[2:], rtol=1e-12)
    assert ext._t == MAX_ITER


# --- a third group: the connection weights (train.lr_connection) --------

BASE3 = {'encoder': 0.005, 'decoder': 0.05, 'connection': 0.2}


def setup3(out, max_iter=MAX_ITER):
    trainer, model = make_trainer(out, max_iter=max_iter, search=True)
    weights = [stage.w for _, stage in model.stages()]
    decoder = [p for p in model.decoder.params()
               if all(p is not w for w in weights)]
    ext = PolyLearningRate(
        [('encoder', BASE3['encoder'], model.backbone),
         ('decoder', BASE3['decoder'], decoder + [model.head]),
         ('connection', BASE3['connection'], weights)],
        max_iter)
    trainer.extend(ext)
    recorder = Recorder()
    trainer.updater.get_optimizer('main').add_hook(recorder)
    return trainer, model, ext, recorder


def group_lrs3(recorder):
    """(encoder, decoder, connection) lr of each update; one per group."""
    out = []
    for lrs in recorder.lrs:
        groups = {'encoder': set(), 'decoder': set(), 'connection': set()}
        for n, v in lrs.items():
            if n.startswith('/predictor/backbone'):
                groups['encoder'].add(v)
            elif n.endswith('/w'):
                groups['connection'].add(v)
            else:
                groups['decoder'].add(v)
        assert all(len(v) == 1 for v in groups.values()), groups
        out.append(tuple(groups[g].pop()
                         for g in ('encoder', 'decoder', 'connection')))
    return out


def test_connection_weights_follow_their_own_rate(tmp_path):
    trainer, model, ext, recorder = setup3(str(tmp_path))
    trainer.run()
    got = group_lrs3(recorder)
    assert len(got) == MAX_ITER
    for t, rates in enumerate(got):
        for name, rate in zip(('encoder', 'decoder', 'connection'), rates):
            assert rate == pytest.approx(poly(BASE3[name], t), rel=1e-12)
    assert trainer.observation['lr/connection'] == pytest.approx(
        poly(BASE3['connection'], MAX_ITER - 1))
    for _, stage in model.stages():
        assert stage.w.update_rule.hyperparam.lr == 0


def test_resume_with_three_groups(tmp_path):
    trainer, _, _, rec_full = setup3(str(tmp_path / 'full'))
    trainer.run()
    full = group_lrs3(rec_full)

    trainer, _, _, _ = setup3(str(tmp_path / 'a'))
    trainer.stop_trigger = chainer.training.get_trigger((3, 'iteration'))
    trainer.run()
    snap = str(tmp_path / 'snap.npz')
    chainer.serializers.save_npz(snap, trainer)

    trainer, _, ext, rec = setup3(str(tmp_path / 'b'))
    chainer.serializers.load_npz(snap, trainer)
    trainer.run()
    resumed = group_lrs3(rec)
    assert len(resumed) == MAX_ITER - 3
    numpy.testing.assert_allclose(resumed, full[3:], rtol=1e-12)
    assert ext._t == MAX_ITER


def test_a_parameter_in_two_groups_is_refused(tmp_path):
    _, model = make_trainer(str(tmp_path), search=True)
    with pytest.raises(ValueError, match='groups decoder and connection'):
        PolyLearningRate(
            [('encoder', 0.1, model.backbone),
             ('decoder', 0.1, [model.decoder, model.head]),
             ('connection', 0.2, [model.decoder.stage1.w])], 4)
    with pytest.raises(TypeError, match='group decoder lists a str'):
        PolyLearningRate([('decoder', 0.1, ['decoder'])], 4)


# --- a resume that changes a base rate carries the momentum with it -----

class UpdateRecorder(object):
    """An optimizer hook recording, after each update, the step it made:
    the velocity ``v`` (``param += v``; the difference of two float32
    parameters would lose the step's low digits)."""

    name = 'update_recorder'
    call_for_each_param = False
    timing = 'post'

    def __init__(self):
        self.steps = []

    def __call__(self, optimizer):
        self.steps.append({
            n: p.update_rule.state['v'].astype(numpy.float64)
            for n, p in optimizer.target.namedparams()})


def setup_rates(out, base):
    trainer, model = make_trainer(out, max_iter=MAX_ITER, search=False)
    ext = PolyLearningRate(
        [('encoder', base['encoder'], model.backbone),
         ('decoder', base['decoder'], [model.decoder, model.head])],
        MAX_ITER)
    trainer.extend(ext)
    recorder = Recorder()
    after = UpdateRecorder()
    optimizer = trainer.updater.get_optimizer('main')
    optimizer.add_hook(recorder)
    optimizer.add_hook(after, timing='post')
    return trainer, ext, recorder, after


@pytest.mark.parametrize('new', [
    {'encoder': 0.005, 'decoder': 0.005},     # the decoder's rate / 10
    {'encoder': 0.0005, 'decoder': 0.5},      # one down, one up
])
def test_resume_with_a_new_rate_rescales_the_momentum(tmp_path, new):
    momentum = 0.9
    steps = 3
    trainer, _, rec, after = setup_rates(str(tmp_path / 'a'), BASE)
    trainer.stop_trigger = chainer.training.get_trigger((steps, 'iteration'))
    trainer.run()
    snap = str(tmp_path / 'snap.npz')
    chainer.serializers.save_npz(snap, trainer)
    grads = rec.grads

    trainer, ext, rec2, after2 = setup_rates(str(tmp_path / 'b'), new)
    chainer.serializers.load_npz(snap, trainer)
    assert sorted(ext.rescaled) == sorted(
        (g, BASE[g], new[g]) for g in BASE if BASE[g] != new[g])
    trainer.stop_trigger = chainer.training.get_trigger(
        (steps + 1, 'iteration'))
    trainer.run()

    # the reference, in float64: the velocity a fresh optimizer would have
    # after the same gradients at the new rates, then the next update
    # with the gradient the resumed run computed
    g_next = rec2.grads[0]
    worse = 0
    for name, step in after2.steps[0].items():
        group = 'encoder' if name.startswith('/predictor/backbone') \
            else 'decoder'
        v = numpy.zeros_like(step)
        for t in range(steps):
            v = momentum * v - poly(new[group], t) * grads[t][name]
        expected = momentum * v - poly(new[group], steps) * g_next[name]
        numpy.testing.assert_allclose(
            step, expected, rtol=1e-5,
            atol=1e-6 * numpy.abs(expected).max(), err_msg=name)
        # without the rescaling (the old velocity) the update differs
        v_old = numpy.zeros_like(step)
        for t in range(steps):
            v_old = momentum * v_old - poly(BASE[group], t) * grads[t][name]
        stale = momentum * v_old - poly(new[group], steps) * g_next[name]
        if new[group] != BASE[group] and \
                not numpy.allclose(stale, expected, rtol=1e-2):
            worse += 1
    assert worse > 0


def test_resume_with_the_same_rates_leaves_the_momentum(tmp_path):
    trainer, _, _, _ = setup_rates(str(tmp_path / 'a'), BASE)
    trainer.stop_trigger = chainer.training.get_trigger((2, 'iteration'))
    trainer.run()
    snap = str(tmp_path / 'snap.npz')
    chainer.serializers.save_npz(snap, trainer)
    saved = {n: p.update_rule.state['v'].copy()
             for n, p in trainer.updater.get_optimizer(
                 'main').target.namedparams()}
    trainer, ext, _, _ = setup_rates(str(tmp_path / 'b'), BASE)
    chainer.serializers.load_npz(snap, trainer)
    assert ext.rescaled == []
    for n, p in trainer.updater.get_optimizer('main').target.namedparams():
        numpy.testing.assert_array_equal(p.update_rule.state['v'], saved[n])
