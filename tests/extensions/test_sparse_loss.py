import numpy
import pytest

import chainer
import chainer.functions as F

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
