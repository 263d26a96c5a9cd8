import numpy
import pytest

import chainer
import chainer.functions as F

from sparsemask import SparseMask
from sparsemask.backbones import MobileNetV2


@pytest.mark.parametrize('search', [True, False])
def test_five_sgd_steps_fused_and_unfused_agree(search):
    # The encoder is frozen: a randomly initialised MobileNetV2 on noise is
    # chaotic (a 1e-6 change of its weights moves its first layers'
    # gradients by ~20%), which would hide the decoder under test. The
    # decoder, connection weights and head train, through the fused op and
    # through stock functions.
    numpy.random.seed(0)
    fused = SparseMask(MobileNetV2(), 5, search=search, fused=True)
    unfused = SparseMask(MobileNetV2(), 5, search=search, fused=False)
    unfused.copyparams(fused)
    init = {n: p.array.copy() for n, p in fused.namedparams()}
    rng = numpy.random.RandomState(0)
    xs = rng.randn(5, 2, 3, 49, 41).astype(numpy.float32)
    ts = rng.randint(0, 5, (5, 2, 49, 41)).astype(numpy.int32)
    for model in (fused, unfused):
        opt = chainer.optimizers.MomentumSGD(lr=0.01)
        opt.setup(model)
        model.backbone.disable_update()
        for x, t in zip(xs, ts):
            loss = F.softmax_cross_entropy(model(x), t)
            if search:
                loss += model.sparse_loss()
            model.cleargrads()
            loss.backward()
            opt.update()
            if search:
                model.clip_connection_weights()
    pa = dict(fused.namedparams())
    pb = dict(unfused.namedparams())
    assert pa.keys() == pb.keys()
    assert any(numpy.abs(p.array - q).max() > 1e-3 for p, q in zip(
        [pa[n] for n in sorted(pa)], [init[n] for n in sorted(pa)])), \
        'nothing trained'
    for name in pa:
        numpy.testing.assert_allclose(pa[name].array, pb[name].array,
                                      rtol=0, atol=1e-4, err_msg=name)
