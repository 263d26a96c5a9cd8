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
