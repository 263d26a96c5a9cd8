"""Randomized cases for the fused FDN stage, shared by its tests."""

import numpy

import chainer

from sparsemask.links import FDNStage


def random_case(seed, max_inputs=18, max_size=15):
    """A random stage: batch 1..4, 1..max_inputs inputs of random sizes
    (odd, non-square, 1x1 and output-sized ones included)."""
    rng = numpy.random.RandomState(seed)
    batch = rng.randint(1, 5)
    T = rng.randint(1, max_inputs + 1)
    H, W = rng.randint(2, max_size + 1, size=2)
    shapes = []
    for t in range(T):
        kind = rng.randint(4)
        if kind == 0:
            h, w = 1, 1
        elif kind == 1:
            h, w = H, W
        else:
            h, w = rng.randint(1, H + 1), rng.randint(1, W + 1)
        shapes.append((int(rng.randint(1, 6)), int(h), int(w)))
    return batch, shapes, (int(H), int(W)), rng


CASES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
FIXED = [
    # (batch, [(C, h, w)], (H, W)) covering every special size at once
    (2, [(3, 7, 9), (5, 4, 5), (6, 1, 1), (2, 7, 9), (3, 3, 2)], (7, 9)),
    (2, [(4, 1, 1)], (5, 3)),
    (3, [(2, 6, 6)], (6, 6)),
    (4, [(2, 9, 9), (3, 5, 5), (2, 3, 3), (4, 2, 2), (2, 1, 1)], (17, 17)),
    # a 1xW output: a 1x1 input (bias), resized inputs narrower and wider
    (2, [(3, 1, 9), (2, 1, 4), (2, 1, 1), (3, 1, 13), (2, 1, 4)], (1, 9)),
    # an Hx1 output, with an input wider than the output
    (2, [(3, 9, 1), (2, 4, 1), (2, 1, 1), (2, 3, 2)], (9, 1)),
    # a 1x1 output: the 1x1 input is output-sized, the others shrink to
    # their top-left element (align_corners)
    (3, [(2, 1, 1), (3, 4, 5), (2, 2, 2)], (1, 1)),
    # inputs larger than the output, and more sizes than one forward launch
    # of the kernel takes (FDN_MAX_GROUPS 4)
    (2, [(3, 13, 11), (2, 9, 9), (4, 5, 3), (2, 7, 7), (2, 8, 6),
         (3, 2, 9), (2, 13, 11)], (7, 7)),
]


def degenerate_keys(batch, shapes, weighted, train):
    """Keys of gradients that are zero in exact arithmetic and pure float32
    rounding in practice: an input with one value per channel (batch 1,
    1x1) through train-mode BN, whose output is then the constant beta
    (Chainer warns about such batches), or nearly so: with two values per
    channel the normalised output is +-1 up to eps. They are compared more
    loosely."""
    if not (weighted and train):
        return set()
    keys = set()
    for t, (_, h, w) in enumerate(shapes):
        if batch * h * w <= 2:
            keys |= {'gx{}'.format(t), '/conv{}/W'.format(t)}
    return keys


def make_stage(shapes, out_channels, weighted, fused, rng, dtype=numpy.float32):
    stage = FDNStage([c for c, _, _ in shapes], out_channels,
                     weighted=weighted, bn_affine=True, fused=fused)
    if weighted:
        stage.w.array[:] = rng.uniform(0, 1, len(shapes))
        for t in range(len(shapes)):
            bn = stage['bn{}'.format(t)]
            bn.gamma.array[:] = rng.uniform(0.5, 1.5, out_channels)
            bn.beta.array[:] = rng.uniform(-1, 1, out_channels)
            bn.avg_mean[:] = rng.uniform(-1, 1, out_channels)
            bn.avg_var[:] = rng.uniform(0.5, 2, out_channels)
    return stage


def run(stage, xs, gy, size, train):
    """Forward and backward; returns the output and every gradient."""
    stage.cleargrads()
    vs = [chainer.Variable(x.copy()) for x in xs]
    with chainer.using_config('train', train):
        y = stage(vs, size)
    y.grad = gy
    y.backward()
    out = {'y': y.array, 'gx': [v.grad for v in vs]}
    for name, p in stage.namedparams():
        out[name] = p.grad
    out['avg'] = [(stage['bn{}'.format(t)].avg_mean.copy(),
                   stage['bn{}'.format(t)].avg_var.copy())
                  for t in range(stage.n_inputs)] if stage.weighted else []
    return out


def _kind(key):
    # '/conv3/W' -> '/conv/W': parameters of one kind share a scale
    return ''.join(ch for ch in key if not ch.isdigit())


def assert_close(ref, got, rtol=1e-5, loose=(), loose_rtol=1e-3):
    """Relative error below rtol, relative to the largest magnitude among
    quantities of the same kind (every input gradient, every conv weight
    gradient, ...). A gradient that is zero in exact arithmetic, such as
    that of a 1x1 input through train-mode BN, is thus compared at the
    scale of its siblings rather than at its own rounding noise. Keys in
    ``loose`` are compared with ``loose_rtol``."""
    for (rm, rv), (gm, gv) in zip(ref['avg'], got['avg']):
        numpy.testing.assert_allclose(gm, rm, rtol=rtol, atol=1e-6)
        numpy.testing.assert_allclose(gv, rv, rtol=rtol, atol=1e-6)
    flat_ref, flat_got = {}, {}
    for key in ref:
        if key == 'avg':
            continue
        if isinstance(ref[key], list):
            for i, (a, b) in enumerate(zip(ref[key], got[key])):
                flat_ref['{}{}'.format(key, i)] = a
                flat_got['{}{}'.format(key, i)] = b
        else:
            flat_ref[key], flat_got[key] = ref[key], got[key]
    scales = {}
    for key, r in flat_ref.items():
        assert r is not None and flat_got[key] is not None, key
        k = _kind(key)
        scales[k] = max(scales.get(k, 0.0), float(numpy.abs(r).max()))
    for key, r in flat_ref.items():
        g = flat_got[key].reshape(r.shape)
        err = float(numpy.abs(r - g).max())
        scale = scales[_kind(key)]
        tol = loose_rtol if key in loose else rtol
        assert err <= tol * scale, \
            '{}: max error {:.3g} > {} x {:.3g}'.format(key, err, tol, scale)
