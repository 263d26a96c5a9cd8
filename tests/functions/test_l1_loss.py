import numpy
import pytest

import chainer
from chainer import gradient_check

from sparsemask.functions import l1_loss


@pytest.mark.parametrize('n', [1, 2, 18])
def test_value_is_the_sum_of_absolute_values(n):
    rng = numpy.random.RandomState(n)
    w = rng.uniform(-1, 1, n).astype(numpy.float32)
    got = l1_loss(w).array
    assert got.shape == ()
    expected = sum(abs(float(v)) for v in w)
    assert float(got) == pytest.approx(expected, rel=1e-6)


def test_gradient_is_the_sign():
    w = chainer.Variable(numpy.array([0.2, 0.7, 1.0], numpy.float32))
    l1_loss(w).backward()
    assert w.grad.tolist() == [1.0, 1.0, 1.0]
    rng = numpy.random.RandomState(0)
    w = rng.uniform(0.1, 0.9, 5) * rng.choice([-1, 1], 5)
    gradient_check.check_backward(l1_loss, (w,), numpy.array(1.3),
                                  eps=1e-4)
