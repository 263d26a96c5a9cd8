import numpy

import chainer

from sparsemask.extensions import ClipConnectionWeights
from tests.extensions.trainer_util import make_trainer


def test_weights_stay_in_unit_interval(tmp_path):
    ext = ClipConnectionWeights()
    # a large lr drives unclipped weights far out of [0, 1]
    trainer, model = make_trainer(str(tmp_path), max_iter=3, lr=50.0,
                                  extensions=[ext])
    for _, stage in model.stages():
        stage.w.array[...] = numpy.linspace(-2, 3, stage.w.size)
    trainer.run()
    ws = numpy.concatenate([s.w.array for _, s in model.stages()])
    assert ws.min() >= 0 and ws.max() <= 1
    assert ((ws == 0) | (ws == 1)).any()
    # before training and after each of the 3 updates
    assert ext.n_clipped == 4


def test_unclipped_run_leaves_the_interval(tmp_path):
    # the check above can fail: without the extension the same run goes out
    trainer, model = make_trainer(str(tmp_path), max_iter=3, lr=50.0)
    for _, stage in model.stages():
        stage.w.array[...] = numpy.linspace(-2, 3, stage.w.size)
    trainer.run()
    ws = numpy.concatenate([s.w.array for _, s in model.stages()])
    assert ws.min() < 0 or ws.max() > 1


def test_resume(tmp_path):
    trainer, _ = make_trainer(str(tmp_path / 'a'), max_iter=2,
                              extensions=[ClipConnectionWeights()])
    trainer.run()
    snap = str(tmp_path / 'snap.npz')
    chainer.serializers.save_npz(snap, trainer)
    ext = ClipConnectionWeights()
    trainer, model = make_trainer(str(tmp_path / 'b'), max_iter=4, lr=50.0,
                                  extensions=[ext])
    chainer.serializers.load_npz(snap, trainer)
    assert ext.n_clipped == 3
    trainer.run()
    assert ext.n_clipped == 3 + 1 + 2
    ws = numpy.concatenate([s.w.array for _, s in model.stages()])
    assert ws.min() >= 0 and ws.max() <= 1
