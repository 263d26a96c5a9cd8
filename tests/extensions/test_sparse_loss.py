import numpy
import pytest

import chainer
import chainer.functions as F

from sparsemask.extensions import ClipConnectionWeights
from sparsemask.extensions import SparseLoss
from tests.extensions.trainer_util import make_dataset
from tests.extensions.trainer_util import make_trainer
from tests.extensions.trainer_util import Recorder


LAM = 0.3


def test_gradient_is_task_plus_sparse_loss(tmp_path):
    ext = SparseLoss(LAM)
    trainer, model = make_trainer(str(tmp_path), max_iter=1, lr=0.0,
                                  extensions=[ext])
    ext.initialize(trainer)   # so that the recorder runs after its hook
    recorder = Recorder()
    trainer.updater.get_optimizer('main').add_hook(recorder)
    # the reference: one backward pass of L_task + lam * sum L_s, on a
    # copy of the model with the same parameters
    ref = model.copy(mode='copy')
    x, t = chainer.dataset.concat_examples(make_dataset()[:2])
    ref.cleargrads()
    loss = F.softmax_cross_entropy(ref(x), t) + ref.sparse_loss(LAM)
    loss.backward()
    trainer.run()
    grads = recorder.grads[0]
    n_checked = 0
    for name, p in ref.namedparams():
        numpy.testing.assert_allclose(
            grads['/predictor' + name], p.grad, rtol=1e-5, atol=1e-7,
            err_msg=name)
        n_checked += name.endswith('/w')
    assert n_checked == len(list(model.stages())) == 3
    # the sparse term is reported apart from the task loss
    expected = float(ref.sparse_loss(LAM).array)
    assert float(trainer.observation['main/sparse_loss']) == \
        pytest.approx(expected, rel=1e-6)
    assert 'main/loss' in trainer.observation


def test_sparse_term_changes_the_weights(tmp_path):
    # with lam = 0 and with lam > 0 from the same start, only the
    # connection weights' updates differ by the sparse gradient (w away
    # from 0.5, where the gradient of L_s can vanish)
    runs = []
    for lam in (0.0, LAM):
        trainer, model = make_trainer(str(tmp_path / str(lam)), max_iter=1,
                                      extensions=[SparseLoss(lam)])
        rng = numpy.random.RandomState(1)
        for _, stage in model.stages():
            stage.w.array[...] = rng.uniform(0.1, 0.9, stage.w.size)
        trainer.run()
        runs.append({n: p.array.copy() for n, p in model.namedparams()})
    for name in runs[0]:
        same = numpy.array_equal(runs[0][name], runs[1][name])
        assert same != name.endswith('/w'), name


def test_resume_restores_lambda_and_hooks_once(tmp_path):
    trainer, _ = make_trainer(str(tmp_path / 'a'), max_iter=2,
                              extensions=[SparseLoss(LAM)])
    trainer.run()
    snap = str(tmp_path / 'snap.npz')
    chainer.serializers.save_npz(snap, trainer)

    ext = SparseLoss(0.5)
    trainer, _ = make_trainer(str(tmp_path / 'b'), max_iter=4,
                              extensions=[ext])
    chainer.serializers.load_npz(snap, trainer)
    assert ext.lam == LAM
    ext.initialize(trainer)   # twice: e.g. initialize + run
    trainer.run()
    hooks = trainer.updater.get_optimizer('main')._hookable._pre_update_hooks
    assert list(hooks).count('sparse_loss') == 1
    assert trainer.updater.iteration == 4


def test_needs_a_search_model(tmp_path):
    trainer, _ = make_trainer(str(tmp_path), search=False,
                              extensions=[SparseLoss(LAM)])
    with pytest.raises(ValueError, match='search mode'):
        trainer.run()


def test_l1_gradient_is_task_plus_lambda_sign(tmp_path):
    ext = SparseLoss(LAM, loss='l1')
    trainer, model = make_trainer(str(tmp_path), max_iter=1, lr=0.0,
                                  extensions=[ext])
    ext.initialize(trainer)
    recorder = Recorder()
    trainer.updater.get_optimizer('main').add_hook(recorder)
    rng = numpy.random.RandomState(3)
    for _, stage in model.stages():
        stage.w.array[...] = rng.uniform(0.1, 0.9, stage.w.size)
    ref = model.copy(mode='copy')
    x, t = chainer.dataset.concat_examples(make_dataset()[:2])
    ref.cleargrads()
    F.softmax_cross_entropy(ref(x), t).backward()
    trainer.run()
    grads = recorder.grads[0]
    for name, p in ref.namedparams():
        # the L1 term adds lam * sign(w) = lam to each (positive) weight
        expected = p.grad + (LAM if name.endswith('/w') else 0)
        numpy.testing.assert_allclose(grads['/predictor' + name], expected,
                                      rtol=1e-5, atol=1e-7, err_msg=name)
    l1 = sum(float(numpy.abs(stage.w.array).sum())
             for _, stage in ref.stages())
    assert float(trainer.observation['main/sparse_loss']) == \
        pytest.approx(LAM * l1, rel=1e-6)


def test_unknown_loss():
    with pytest.raises(ValueError, match="'l2'"):
        SparseLoss(LAM, loss='l2')


def _search(tmp_path, loss, lam, iterations=50):
    trainer, model = make_trainer(
        str(tmp_path / '{}_{}'.format(loss, lam)), max_iter=iterations,
        extensions=[SparseLoss(lam, loss=loss), ClipConnectionWeights()])
    trainer.run()
    return numpy.concatenate([stage.w.array for _, stage in model.stages()])


def test_l1_shrinks_every_weight_the_sparse_loss_makes_them_binary(tmp_path):
    # A short real search of the tiny model (12 connections, 50 updates of
    # lr 0.1, momentum 0.9), each loss with a lambda where the paper's
    # observations hold (Sec. 4.2, Fig. 4): the sparse loss drives the
    # weights to 0 or 1 and prunes; with L1 every weight shrinks and none
    # falls below sigma = 0.001. (L1's pull on a weight is lam whatever
    # the weight, the sparse loss' lam / |w_l| (log((1 - w) / w) + ...)
    # grows without bound as w nears 0; at one lambda L1 pulls harder on
    # weights near 0.5: here L1 with lam = 0.02 prunes 7 of the 12.)
    sigma = 1e-3
    sparse = _search(tmp_path, 'sparse', 0.2)
    assert (sparse < sigma).sum() >= 3
    assert (sparse > 0.9).sum() >= 3
    l1 = _search(tmp_path, 'l1', 0.01)
    assert (l1 >= sigma).all()
    assert l1.max() < 0.5  # every weight shrank from its initial 0.5
    # without a penalty the weights stay around 0.5
    free = _search(tmp_path, 'sparse', 0.0)
    assert (free > 0.3).all() and (free < 0.7).all()
