import numpy
import pytest

import chainer
from chainer import gradient_check

from sparsemask.links import FDNStage


def bilinear_align_corners(x, size):
    """Independent float64 reference of align_corners bilinear resizing."""
    N, C, h, w = x.shape
    H, W = size

    def axis(n_in, n_out):
        # matrix (n_out, n_in) with the interpolation weights
        m = numpy.zeros((n_out, n_in))
        for o in range(n_out):
            s = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
            i0 = int(numpy.floor(s))
            i1 = min(i0 + 1, n_in - 1)
            f = s - i0
            m[o, i0] += 1 - f
            m[o, i1] += f
        return m
    return numpy.einsum('Hh,nchw,Ww->ncHW', axis(h, H), x, axis(w, W))


def reference(stage, xs, size, train):
    out = 0
    ws = stage.w.array.astype(numpy.float64) * stage.weight_scale \
        if stage.weighted else None
    for t, x in enumerate(xs):
        W = stage['conv{}'.format(t)].W.array[:, :, 0, 0].astype(numpy.float64)
        h = numpy.einsum('oc,nchw->nohw', W, x.astype(numpy.float64))
        if stage.weighted:
            bn = stage['bn{}'.format(t)]
            if train:
                mean = h.mean(axis=(0, 2, 3))
                var = h.var(axis=(0, 2, 3))
            else:
                mean, var = bn.avg_mean, bn.avg_var
            h = (h - mean[:, None, None]) / numpy.sqrt(var + bn.eps)[:, None, None]
            if bn.gamma is not None:
                h = h * bn.gamma.array[:, None, None]
            if bn.beta is not None:
                h = h + bn.beta.array[:, None, None]
        h = bilinear_align_corners(h, size)
        if stage.weighted:
            h = h * ws[t]
        out = out + h
    return out


SHAPES = [
    # (batch, [(C, h, w) per input], (H, W))
    (2, [(3, 7, 9), (5, 4, 5), (6, 1, 1)], (7, 9)),
    (1, [(4, 5, 5), (2, 5, 5)], (5, 5)),
    (3, [(2, 3, 4), (3, 2, 2), (4, 1, 1), (2, 1, 1)], (11, 6)),
    (4, [(3, 13, 13)], (13, 13)),
]


@pytest.mark.parametrize('batch, inputs, size', SHAPES)
@pytest.mark.parametrize('weighted', [True, False])
@pytest.mark.parametrize('train', [True, False])
def test_forward_matches_float64_reference(batch, inputs, size, weighted,
                                           train):
    rng = numpy.random.RandomState(0)
    stage = FDNStage([c for c, _, _ in inputs], 5, weighted=weighted,
                     bn_affine=True)
    if weighted:
        stage.w.array[:] = rng.uniform(0, 1, len(inputs))
        for t in range(len(inputs)):
            bn = stage['bn{}'.format(t)]
            bn.gamma.array[:] = rng.uniform(0.5, 1.5, 5)
            bn.beta.array[:] = rng.uniform(-1, 1, 5)
            bn.avg_mean[:] = rng.uniform(-1, 1, 5)
            bn.avg_var[:] = rng.uniform(0.5, 2, 5)
    xs = [rng.randn(batch, c, h, w).astype(numpy.float32)
          for c, h, w in inputs]
    expected = reference(stage, xs, size, train)
    with chainer.using_config('train', train):
        y = stage(xs, size)
    assert y.shape == (batch, 5) + size
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('train', [True, False])
def test_gradients(train):
    # F.resize_images is float32-only, so the stock path is checked in
    # float32 with a coarse finite difference.
    rng = numpy.random.RandomState(1)
    stage = FDNStage([3, 2], 4, weighted=True, bn_affine=True)
    stage.w.array[:] = [0.3, 0.8]
    xs = [rng.randn(2, 3, 3, 4).astype(numpy.float32),
          rng.randn(2, 2, 2, 2).astype(numpy.float32)]
    params = [p for _, p in sorted(stage.namedparams())]
    gy = rng.randn(2, 4, 5, 7).astype(numpy.float32)
    with chainer.using_config('train', train):
        gradient_check.check_backward(
            lambda a, b: stage([a, b], (5, 7)), xs, gy, params=params,
            eps=1e-2, atol=1e-2, rtol=1e-2)


def test_parameter_names():
    stage = FDNStage([3, 2], 4, weighted=True)
    assert sorted(n for n, _ in stage.namedparams()) == [
        '/conv0/W', '/conv1/W', '/w']
    assert stage.bn0.avg_mean.shape == (4,)
    affine = FDNStage([3, 2], 4, weighted=True, bn_affine=True)
    assert sorted(n for n, _ in affine.namedparams()) == [
        '/bn0/beta', '/bn0/gamma', '/bn1/beta', '/bn1/gamma',
        '/conv0/W', '/conv1/W', '/w']
    plain = FDNStage([3, 2], 4, weighted=False)
    assert sorted(n for n, _ in plain.namedparams()) == [
        '/conv0/W', '/conv1/W']


@pytest.mark.parametrize('train', [True, False])
def test_default_connection_bn_has_no_affine(train):
    stage = FDNStage([3, 2], 4, weighted=True)
    assert stage.bn0.gamma is None and stage.bn0.beta is None
    rng = numpy.random.RandomState(3)
    xs = [rng.randn(2, 3, 4, 4).astype(numpy.float32),
          rng.randn(2, 2, 1, 1).astype(numpy.float32)]
    with chainer.using_config('train', train):
        y = stage(xs, (4, 4))
    numpy.testing.assert_allclose(
        y.array, reference(stage, xs, (4, 4), train), rtol=1e-4, atol=1e-4)


def test_weight_noise():
    stage = FDNStage([3], 4, weighted=True, weight_noise=0.5)
    with chainer.using_config('train', False):
        assert stage.effective_weights().array[0] == stage.w.array[0]
    w = stage.effective_weights().array
    assert 0 <= w[0] <= 1


def test_wrong_number_of_inputs():
    stage = FDNStage([3, 2], 4)
    with pytest.raises(ValueError, match='2 inputs, got 1'):
        stage([numpy.zeros((1, 3, 2, 2), numpy.float32)], (2, 2))
