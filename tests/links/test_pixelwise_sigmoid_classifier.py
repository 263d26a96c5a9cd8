import numpy
import pytest

import chainer
import chainer.functions as F
import chainer.links as L

from sparsemask.functions import balanced_sigmoid_cross_entropy
from sparsemask.links import PixelwiseSigmoidClassifier


class _Conv(chainer.Chain):
    def __init__(self, n_out=1):
        super(_Conv, self).__init__()
        with self.init_scope():
            self.conv = L.Convolution2D(3, n_out, 3, pad=1)

    def forward(self, x):
        return self.conv(x)


def _batch():
    rng = numpy.random.RandomState(0)
    x = rng.normal(size=(2, 3, 6, 5)).astype(numpy.float32)
    t = rng.randint(-1, 2, (2, 6, 5)).astype(numpy.int32)
    return x, t


@pytest.mark.parametrize('balanced', [False, True])
def test_loss_and_report(balanced):
    numpy.random.seed(0)
    predictor = _Conv()
    model = PixelwiseSigmoidClassifier(predictor, class_balanced=balanced)
    x, t = _batch()
    observation = {}
    reporter = chainer.reporter.Reporter()
    reporter.add_observer('main', model)
    with reporter.scope(observation):
        loss = model(x, t)
    y = predictor(x)
    if balanced:
        expected = balanced_sigmoid_cross_entropy(y, t)
    else:
        expected = F.sigmoid_cross_entropy(y[:, 0], t)
    numpy.testing.assert_allclose(loss.array, expected.array, rtol=1e-6)
    assert float(observation['main/loss'].array) == float(loss.array)
    loss.backward()
    assert predictor.conv.W.grad is not None


def test_two_channels_are_refused():
    model = PixelwiseSigmoidClassifier(_Conv(n_out=2))
    x, t = _batch()
    with pytest.raises(ValueError, match='returns 2 channels'):
        model(x, t)
