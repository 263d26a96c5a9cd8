"""Checks shared by the backbone tests."""

import numpy

import chainer.functions as F
import chainer.links as L


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


def randomize_batch_normalizations(link, rng):
    """Random running statistics, scales and shifts of every batch
    normalization under ``link`` (drawn in this order per link), so that
    every term shows in the outputs."""
    for child in link.links():
        if isinstance(child, L.BatchNormalization):
            C = child.avg_mean.shape[0]
            child.avg_mean[...] = rng.uniform(-0.5, 0.5, C)
            child.avg_var[...] = rng.uniform(0.5, 2, C)
            if child.gamma is not None:
                child.gamma.array[...] = rng.uniform(0.5, 1.5, C)
            if child.beta is not None:
                child.beta.array[...] = rng.uniform(-0.5, 0.5, C)
