"""Checks shared by the backbone tests."""

import numpy

import chainer.functions as F


def normalized_batch(model, size=65, seed=0):
    """A (2, 3, size, size) batch of random images, normalized."""
    rng = numpy.random.RandomState(seed)
    img = rng.uniform(0, 255, (2, 3, size, size)).astype(numpy.float32)
    return (img - model.mean) / model.std


def check_g_is_mean_of_last_stage(stages, g):
    expected_g = stages[-1].array.astype(numpy.float64).mean(axis=(2, 3))
    numpy.testing.assert_allclose(g.array[:, :, 0, 0], expected_g, atol=1e-5)


def backward_all(model, stages, g):
    """Backpropagates the sum of every stage and G into the model."""
    model.cleargrads()
    loss = sum(F.sum(h) for h in stages) + F.sum(g)
    loss.backward()
