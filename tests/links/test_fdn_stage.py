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


def top(w, k):
    """Independent reference of the top-k choice: the indices of the k
    largest values, of equal values the lower index."""
    ranked = sorted(range(len(w)), key=lambda t: (-float(w[t]), t))
    return set(ranked[:k])


def reference(stage, xs, size, train):
    out = 0
    ws = None
    if stage.weighted:
        ws = stage.w.array.astype(numpy.float64) * stage.weight_scale
        if stage.topk is not None:
            chosen = top(stage.w.array, stage.topk)
            ws = numpy.array([v if t in chosen else 0.0
                              for t, v in enumerate(ws)])
    for t, x in enumerate(xs):
        W = stage['conv{}'.format(t)].W.array[:, :, 0, 0].astype(numpy.float64)
        h = numpy.einsum('oc,nchw->nohw', W, x.astype(numpy.float64))
        if stage.weighted and stage.connection_bn:
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


# --- the search variants: without per-connection BN, top-k, weight scale --


@pytest.mark.parametrize('batch, inputs, size', SHAPES)
@pytest.mark.parametrize('fused', [True, False])
@pytest.mark.parametrize('train', [True, False])
def test_without_connection_bn_matches_eq1(batch, inputs, size, fused,
                                           train):
    # D = sum_t w_t up(conv_t(x_t)) (paper Eq. 1), the BN ablation
    rng = numpy.random.RandomState(4)
    stage = FDNStage([c for c, _, _ in inputs], 5, connection_bn=False,
                     weight_scale=2.0, fused=fused)
    stage.w.array[:] = rng.uniform(0, 1, len(inputs))
    xs = [rng.randn(batch, c, h, w).astype(numpy.float32)
          for c, h, w in inputs]
    expected = reference(stage, xs, size, train)
    with chainer.using_config('train', train):
        y = stage(xs, size)
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-4, atol=1e-4)


def test_without_connection_bn_has_no_bn_and_fused_agrees():
    stage = FDNStage([3, 2], 4, connection_bn=False)
    assert sorted(n for n, _ in stage.namedparams()) == [
        '/conv0/W', '/conv1/W', '/w']
    assert not hasattr(stage, 'bn0')
    unfused = FDNStage([3, 2], 4, connection_bn=False, fused=False)
    unfused.copyparams(stage)
    rng = numpy.random.RandomState(5)
    stage.w.array[:] = [0.2, 0.9]
    unfused.w.array[:] = [0.2, 0.9]
    xs = [rng.randn(2, 3, 3, 4).astype(numpy.float32),
          rng.randn(2, 2, 1, 1).astype(numpy.float32)]
    gy = rng.randn(2, 4, 6, 5).astype(numpy.float32)
    grads = []
    for s in (stage, unfused):
        vs = [chainer.Variable(x) for x in xs]
        s.cleargrads()
        y = s(vs, (6, 5))
        y.grad = gy
        y.backward()
        grads.append([y.array, s.w.grad, s.conv0.W.grad, vs[1].grad])
    for a, b in zip(*grads):
        numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('fused', [True, False])
def test_without_connection_bn_gradients(fused):
    rng = numpy.random.RandomState(6)
    stage = FDNStage([3, 2], 4, connection_bn=False, fused=fused)
    stage.w.array[:] = [0.3, 0.8]
    xs = [rng.randn(2, 3, 3, 4).astype(numpy.float32),
          rng.randn(2, 2, 2, 2).astype(numpy.float32)]
    params = [p for _, p in sorted(stage.namedparams())]
    gy = rng.randn(2, 4, 5, 7).astype(numpy.float32)
    gradient_check.check_backward(
        lambda a, b: stage([a, b], (5, 7)), xs, gy, params=params,
        eps=1e-2, atol=1e-2, rtol=1e-2)


def test_bn_affine_needs_the_connection_bn():
    with pytest.raises(ValueError, match='connection_bn'):
        FDNStage([3], 4, connection_bn=False, bn_affine=True)


@pytest.mark.parametrize('k', [1, 2, 3, 4, 6])
@pytest.mark.parametrize('fused', [True, False])
@pytest.mark.parametrize('train', [True, False])
def test_topk_uses_the_k_largest_weights(k, fused, train):
    rng = numpy.random.RandomState(k)
    inputs = [(3, 7, 9), (5, 4, 5), (6, 1, 1), (2, 4, 5)]
    stage = FDNStage([c for c, _, _ in inputs], 5, topk=k, fused=fused)
    stage.w.array[:] = [0.3, 0.7, 0.3, 0.5]  # a tie: inputs 0 and 2
    xs = [rng.randn(2, c, h, w).astype(numpy.float32) for c, h, w in inputs]
    expected = reference(stage, xs, (7, 9), train)
    with chainer.using_config('train', train):
        y = stage(xs, (7, 9))
        w = stage.effective_weights().array
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-4, atol=1e-4)
    chosen = top([0.3, 0.7, 0.3, 0.5], k)
    assert set(numpy.nonzero(w)[0]) == chosen
    assert len(chosen) == min(k, 4)
    # the task gradient reaches the chosen weights only (through w * mask)
    stage.cleargrads()
    with chainer.using_config('train', train):
        chainer.functions.sum(stage(xs, (7, 9)) ** 2).backward()
    assert {t for t in range(4) if stage.w.grad[t] != 0} == chosen


def test_topk_with_noise_chooses_among_the_noisy_weights():
    stage = FDNStage([3, 3, 3], 4, topk=1, weight_noise=0.5)
    stage.w.array[:] = 0.5
    numpy.random.seed(0)
    chosen = set()
    for _ in range(20):
        w = stage.effective_weights().array
        assert (w != 0).sum() == 1
        chosen.add(int(numpy.argmax(w)))
    assert len(chosen) > 1  # the noise explores
    with chainer.using_config('train', False):
        assert stage.effective_weights().array.tolist() == [0.5, 0, 0]


def test_bad_topk():
    for k in (0, -1, True):
        with pytest.raises(ValueError, match='topk'):
            FDNStage([3], 4, topk=k)
