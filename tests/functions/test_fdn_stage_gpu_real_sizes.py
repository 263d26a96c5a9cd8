"""The fused FDN stage against the stock-function stage at real sizes (GPU).

The decoder stages of the MobileNetV2 Fully Dense Network at a 513x513
input and batch 16, with the shapes of ``sparsemask.benchmarks.stage_inputs``: stage 1
(18 inputs E1..E9, D2..D9 and G, output 257x257) and stage 6 (8 inputs,
output 33x33). ``FDNStage(fused=True)`` (the CUDA kernels) is compared
with ``FDNStage(fused=False)`` (stock Chainer functions: 1x1 convolution,
BN, ``resize_images``, scale, sum) with the same parameters, in training
and in test mode: the output, every input gradient, every parameter
gradient and the running statistics after one training step. Then two
backward passes of the fused stage on identical inputs are compared
(determinism), and whether they are bitwise equal is reported.

These sizes are far beyond the small cases of ``test_fdn_stage_gpu.py``:
stage 1's output has 16 x 64 x 257 x 257 = 67,649,536 elements, more than
the threads of one launch (a few million at most), so the kernels'
grid-stride loops run; stage 6's has 16 x 64 x 33 x 33 = 1,115,136.

The checks are functions of the array module and the batch
(:func:`compare_fused_with_stock`, :func:`compare_two_backward_passes`),
so that they also run with NumPy at a small batch on a machine without a
GPU. Run the tests with ``pytest -m gpu`` or ``--gpu`` (see
:mod:`tests.gpu_util`); stage 1 needs a few GB of host and GPU memory.
"""

import gc
import importlib

import numpy
import pytest

import chainer

from tests.functions.fdn_stage_cases import assert_close
from tests.functions.fdn_stage_cases import degenerate_keys
from tests.functions.fdn_stage_cases import make_stage
from tests.functions.fdn_stage_cases import run
from tests.gpu_util import require_cupy

# the MobileNetV2 shape table and stage_inputs of the stage benchmark (the
# module: the package re-exports the function under the same name)
bench = importlib.import_module('sparsemask.benchmarks.stage_inputs')

BATCH = 16
STAGES = (1, 6)
N_INPUTS = {1: 18, 6: 8}

# Fused against stock functions, both float32, each error relative to the
# largest magnitude among the quantities of the same kind (assert_close).
# The two paths sum in different orders: the gradients of the connection
# weights w sum over 16 x 64 x 257 x 257 (6.8e7) products, those of BN
# gamma/beta and of the conv weights over up to 16 x 257 x 257 (1.1e6) per
# channel, and each low-resolution pixel of a 17x17 input gathers about
# 1000 output pixels in the transposed interpolation (the CUDA backward
# and Chainer's resize_images backward in different orders). A float32
# sum of n random-sign terms accumulated in one sequential chain has a
# rounding error of about u * sqrt(n / 6) (unit roundoff u = 6e-8)
# relative to its typical size: 2.6e-5 for n = 1.1e6,
# a few times that at the worst of many outputs (a GEMM over such an n;
# GPU reductions, which split n between threads, do better). On the CPU
# at batch 4 (n = 2.6e5) the stock path's conv W and BN gamma gradients
# are off by 5e-5 of their own scale against a float64 computation, the
# fused path's by 1e-6; their own scale is at most the kind's. 1e-4 of the
# kind's scale holds that with room and still catches any real error (a
# wrong interpolation weight, a skipped grid-stride iteration, a wrong BN
# term are errors of order 1).
RTOL = 1e-4
# The kind's scale is set by its largest member: the input gradient of the
# 1x1 input G (the sum of the output gradient over 257 x 257 pixels) is 50
# times that of D2, so each connection is checked again against its own
# largest magnitude. Against that scale the sequential-sum error above
# counts in full (up to about 1e-4 for a 257x257 connection's conv W
# gradient at n = 1.1e6), hence 10 times looser, still far below an error
# of order 1.
CONNECTION_RTOL = 1e-3
# Two backward passes of the fused stage on identical inputs can only differ
# if a kernel accumulates in a varying order (atomics): a pixel of a 17x17
# input sums about 1000 terms, whose order changes its value by about
# u * sqrt(1000 / 6) = 8e-7 of its own size, less of the kind's largest
# magnitude (CuPy's reductions and cuBLAS are deterministic by default).
# Whether the passes are bitwise equal is reported separately.
DETERMINISM_RTOL = 1e-6


def stage_problem(stage, batch, xp, seed=0):
    """Inputs, output gradient and the two links of one real-size stage.

    Args:
        stage (int): the decoder stage ``l`` (1: output stride 2, 18
            inputs; 6: output stride 16, 8 inputs).
        batch (int): the batch size.
        xp: :mod:`numpy` or :mod:`cupy`.
        seed (int): seed of the inputs and of the parameters.

    Returns:
        dict: ``names`` and ``shapes`` of the inputs, ``xs`` (arrays of
        ``xp``), ``gy`` (the output gradient), ``size`` (the output size)
        and the links ``stock`` (``fused=False``) and ``fused``, which
        share every parameter and running statistic, weighted, with random
        BN gamma/beta, connection weights w and running statistics.

    """
    rng = numpy.random.RandomState(seed)
    names, shapes, xs = bench.stage_inputs(stage, batch, xp, rng)
    size = (bench.SIZES[stage - 1],) * 2
    gy = xp.asarray(rng.randn(batch, bench.DECODER, *size).astype(
        numpy.float32))
    numpy.random.seed(seed)  # Chainer's initializers of the conv weights
    stock = make_stage(shapes, bench.DECODER, True, False, rng)
    fused = make_stage(shapes, bench.DECODER, True, True, rng)
    fused.copyparams(stock)  # parameters and running statistics
    assert fused.fused and not stock.fused
    if xp is not numpy:
        stock.to_gpu()
        fused.to_gpu()
    return dict(names=names, shapes=shapes, xs=xs, gy=gy, size=size,
                stock=stock, fused=fused)


def release(xp):
    """Frees the memory of the arrays no longer referenced.

    Args:
        xp: :mod:`numpy` or :mod:`cupy`; with CuPy, its default memory
            pool gives its free blocks back to the device.

    """
    gc.collect()  # Chainer's graphs can hold arrays in reference cycles
    if xp is not numpy:
        xp.get_default_memory_pool().free_all_blocks()
        xp.get_default_pinned_memory_pool().free_all_blocks()


def _to_host(out):
    cpu = chainer.backends.cuda.to_cpu
    host = {}
    for key, value in out.items():
        if key == 'avg':
            host[key] = [(cpu(m), cpu(v)) for m, v in value]
        elif isinstance(value, list):
            host[key] = [cpu(a) for a in value]
        else:
            host[key] = cpu(value)
    return host


def _running_statistics(link):
    cpu = chainer.backends.cuda.to_cpu
    return [(cpu(link['bn{}'.format(t)].avg_mean).copy(),
             cpu(link['bn{}'.format(t)].avg_var).copy())
            for t in range(link.n_inputs)]


def _connection(out, t):
    # one connection's gradients, each the only one of its kind
    sub = {'avg': [], 'gx': [out['gx'][t]]}
    for name in ('/conv{}/W', '/bn{}/gamma', '/bn{}/beta'):
        sub[name.format(t)] = out[name.format(t)]
    return sub


def relative_errors(ref, got):
    """Largest error of each kind relative to the kind's largest magnitude.

    Args:
        ref (dict): results of :func:`tests.functions.fdn_stage_cases.run`
            on the host.
        got (dict): the same of another computation.

    Returns:
        dict: ``{kind: max error / max |ref|}``, kinds as ``'y'``,
        ``'gx'``, ``'/conv/W'``, ``'/bn/gamma'``, ``'/bn/beta'``, ``'/w'``,
        ``'avg_mean'``, ``'avg_var'``.

    """
    pairs = {}
    for key, value in ref.items():
        if key == 'avg':
            for (rm, rv), (gm, gv) in zip(value, got[key]):
                pairs.setdefault('avg_mean', []).append((rm, gm))
                pairs.setdefault('avg_var', []).append((rv, gv))
        elif isinstance(value, list):
            pairs.setdefault(key, []).extend(zip(value, got[key]))
        else:
            kind = ''.join(ch for ch in key if not ch.isdigit())
            pairs.setdefault(kind, []).append((value, got[key]))
    errors = {}
    for kind, ps in pairs.items():
        scale = max(float(numpy.abs(r).max()) for r, _ in ps)
        err = max(float(numpy.abs(r - g.reshape(r.shape)).max())
                  for r, g in ps)
        errors[kind] = err / scale if scale > 0 else err
    return errors


def compare_fused_with_stock(stage, batch, xp, train, rtol=RTOL,
                             connection_rtol=CONNECTION_RTOL, seed=0):
    """Checks the fused stage against the stock-function stage.

    Both links get the same inputs, parameters and output gradient; one
    forward and backward pass each (in training mode it also updates the
    running statistics). The output, every input gradient, every parameter
    gradient (conv W, BN gamma and beta, connection weights w) and the
    running statistics must agree within ``rtol`` relative to the largest
    magnitude of the same kind, and each connection's gradients within
    ``connection_rtol`` relative to that connection's own largest
    magnitude.
    Gradients that are zero in exact arithmetic (a 1x1 input at batch 1
    through training-mode BN) are compared loosely, see
    :func:`tests.functions.fdn_stage_cases.degenerate_keys`.

    Args:
        stage (int): the decoder stage, 1 or 6.
        batch (int): the batch size (16 on the GPU).
        xp: :mod:`numpy` or :mod:`cupy`.
        train (bool): training mode (batch statistics) or test mode.
        rtol (float): the tolerance relative to the scale of a kind.
        connection_rtol (float): the tolerance relative to the scale of
            one connection's gradient.
        seed (int): seed of the inputs and parameters.

    Returns:
        dict: the largest relative error of each kind
        (:func:`relative_errors`).

    Raises:
        AssertionError: if a quantity differs by more than the tolerance.

    """
    p = stage_problem(stage, batch, xp, seed)
    shapes, size = p['shapes'], p['size']
    assert len(shapes) == N_INPUTS.get(stage, len(shapes))
    before = _running_statistics(p['stock'])
    ref = _to_host(run(p.pop('stock'), p['xs'], p['gy'], size, train))
    release(xp)
    got = _to_host(run(p.pop('fused'), p['xs'], p['gy'], size, train))
    del p
    release(xp)

    assert got['y'].shape == (batch, bench.DECODER) + size
    for (m0, v0), (m, v) in zip(before, got['avg']):
        # the running statistics move in training mode only (else their
        # comparison would not test the update)
        assert (not numpy.array_equal(m0, m)) == train
        assert (not numpy.array_equal(v0, v)) == train
    loose = degenerate_keys(batch, shapes, True, train)
    assert_close(ref, got, rtol=rtol, loose=loose)
    for t in range(len(shapes)):
        if 'gx{}'.format(t) in loose:
            continue  # rounding noise: only at the scale of its kind
        try:
            assert_close(_connection(ref, t), _connection(got, t),
                         rtol=connection_rtol)
        except AssertionError as e:
            raise AssertionError('connection {} ({}), relative to its own '
                                 'scale: {}'.format(t, shapes[t], e))
    return relative_errors(ref, got)


def compare_two_backward_passes(stage, batch, xp, train,
                                rtol=DETERMINISM_RTOL, seed=0):
    """Runs the fused stage twice on identical inputs and compares.

    The running statistics are reset between the passes, so both start
    from the same state.

    Args:
        stage (int): the decoder stage, 1 or 6.
        batch (int): the batch size.
        xp: :mod:`numpy` or :mod:`cupy`.
        train (bool): training or test mode.
        rtol (float): the tolerance, relative to the largest magnitude of
            the same kind.
        seed (int): seed of the inputs and parameters.

    Returns:
        tuple: ``(bitwise, differing, errors)``: whether every output,
        gradient and running statistic is bitwise equal, the keys that are
        not, and :func:`relative_errors`.

    Raises:
        AssertionError: if the passes differ by more than ``rtol``; its
            message says whether they are bitwise equal.

    """
    p = stage_problem(stage, batch, xp, seed)
    del p['stock']
    fused = p['fused']
    before = [(m.copy(), v.copy()) for m, v in
              ((fused['bn{}'.format(t)].avg_mean,
                fused['bn{}'.format(t)].avg_var)
               for t in range(fused.n_inputs))]
    first = _to_host(run(fused, p['xs'], p['gy'], p['size'], train))
    release(xp)
    for t, (m, v) in enumerate(before):
        fused['bn{}'.format(t)].avg_mean[...] = m
        fused['bn{}'.format(t)].avg_var[...] = v
    second = _to_host(run(fused, p['xs'], p['gy'], p['size'], train))
    del p, fused, before
    release(xp)

    differing = []
    for key, value in first.items():
        if key == 'avg':
            for t, (a, b) in enumerate(zip(value, second[key])):
                if not (numpy.array_equal(a[0], b[0])
                        and numpy.array_equal(a[1], b[1])):
                    differing.append('avg{}'.format(t))
        elif isinstance(value, list):
            differing += ['{}{}'.format(key, t)
                          for t, (a, b) in enumerate(zip(value, second[key]))
                          if not numpy.array_equal(a, b)]
        elif not numpy.array_equal(value, second[key]):
            differing.append(key)
    errors = relative_errors(first, second)
    try:
        assert_close(first, second, rtol=rtol)
    except AssertionError as e:
        raise AssertionError('{} (bitwise equal: {}; differing: {})'.format(
            e, not differing, ', '.join(differing) or 'none'))
    return not differing, differing, errors


def _ids(prefix, values):
    return ['{}{}'.format(prefix, v) for v in values]


@pytest.mark.gpu
@pytest.mark.parametrize('stage', STAGES, ids=_ids('stage', STAGES))
@pytest.mark.parametrize('train', [True, False], ids=['train', 'test'])
def test_fused_stage_matches_stock_functions(stage, train, request,
                                             record_property):
    cupy = require_cupy(request.config)
    try:
        errors = compare_fused_with_stock(stage, BATCH, cupy, train)
    finally:
        release(cupy)
    record_property('max_relative_errors', errors)
    print('stage {} {}: max relative errors {}'.format(
        stage, 'train' if train else 'test',
        {k: '{:.2g}'.format(v) for k, v in errors.items()}))


@pytest.mark.gpu
@pytest.mark.parametrize('stage', STAGES, ids=_ids('stage', STAGES))
@pytest.mark.parametrize('train', [True, False], ids=['train', 'test'])
def test_fused_stage_backward_is_deterministic(stage, train, request,
                                               record_property):
    cupy = require_cupy(request.config)
    try:
        bitwise, differing, errors = compare_two_backward_passes(
            stage, BATCH, cupy, train)
    finally:
        release(cupy)
    record_property('bitwise_equal', bitwise)
    record_property('not_bitwise_equal', differing)
    record_property('max_relative_differences', errors)
    print('stage {} {}: two backward passes {}; max relative differences '
          '{}'.format(stage, 'train' if train else 'test',
                      'bitwise equal' if bitwise else
                      'not bitwise equal ({})'.format(', '.join(differing)),
                      {k: '{:.2g}'.format(v) for k, v in errors.items()}))
