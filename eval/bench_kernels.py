"""Benchmark the fused FDN stage against the stock-function stage.

Measures, for decoder stages of the MobileNetV2 Fully Dense Network at a
513x513 input, the forward and the forward+backward time (median of
repeats) and the peak memory of the fused op (``FDNStage(fused=True)``)
and of the unfused stage (``fused=False`` under
``chainer.config.stock_functions``: L.Convolution2D 1x1,
L.BatchNormalization, F.resize_images, scale, sum) in the same run, in the
search's form of the stage (connection weights and per-connection BN) and
the retraining's (neither; ``--modes``), prints a table with the ratios
and writes JSON.

Stage 1 reads all 18 inputs (strides 2 and coarser, output stride 2);
stage 6 is a coarse stage (output stride 16, 8 inputs).

CPU: batch 2, peak memory from tracemalloc (NumPy allocations are
traced). GPU (``--gpu 0``): batch 16, peak memory from CuPy's memory pool,
and the time of the CUDA kernels alone with their achieved bandwidth
against the bytes they must move, compared with the device's measured
copy bandwidth (see :func:`kernel_bandwidth`).

Usage::

    python eval/bench_kernels.py --out result/bench_kernels_cpu.json
    python eval/bench_kernels.py --gpu 0 --out result/bench_kernels_gpu.json
"""

import argparse
import json
import os
import time
import tracemalloc

import numpy

import chainer

from sparsemask import Connectivity
from sparsemask.cuda import GPUUnavailableError
from sparsemask.cuda import require_gpu
from sparsemask.links import FDNStage
from sparsemask.utils import atomic_write_text
from sparsemask.utils.benchmark import device_name


# MobileNetV2 at 513x513 (TF SAME padding): channels and sizes of E_1..E_9
CHANNELS = (32, 16, 24, 32, 64, 96, 160, 320, 1280)
SIZES = (257, 257, 129, 65, 33, 33, 17, 17, 17)
DECODER = 64


def stage_inputs(l, batch, xp, rng):
    full = Connectivity.full(9)
    names = full.inputs(l)
    shapes = []
    for name in names:
        if name == 'G':
            shapes.append((1280, 1, 1))
        elif name[0] == 'E':
            i = int(name[1:])
            shapes.append((CHANNELS[i - 1], SIZES[i - 1], SIZES[i - 1]))
        else:
            i = int(name[1:])
            shapes.append((DECODER, SIZES[i - 1], SIZES[i - 1]))
    xs = [xp.asarray(rng.randn(batch, *s).astype(numpy.float32))
          for s in shapes]
    return names, shapes, xs


def _sync(xp):
    if xp is not numpy:
        xp.cuda.Stream.null.synchronize()


def _time(fn, xp, repeat, warmup=1):
    for _ in range(warmup):
        fn()
    _sync(xp)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        _sync(xp)
        times.append(time.perf_counter() - start)
    return float(numpy.median(times)), times


def _peak_memory(fn, xp):
    if xp is numpy:
        tracemalloc.start()
        tracemalloc.reset_peak()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return int(peak)
    pool = xp.get_default_memory_pool()
    pool.free_all_blocks()
    _sync(xp)
    base = pool.used_bytes()
    # CuPy has no peak counter: track the pool's high-water mark by
    # sampling inside a hook around every malloc
    peak = [base]
    from cupy.cuda import memory_hooks

    class Peak(memory_hooks.MemoryHook):
        name = 'Peak'

        def malloc_postprocess(self, **kwargs):
            peak[0] = max(peak[0], pool.used_bytes())

        def alloc_postprocess(self, **kwargs):
            peak[0] = max(peak[0], pool.used_bytes())

    with Peak():
        fn()
        _sync(xp)
    return int(peak[0] - base)


#: the stage's form in each mode: a search's (connection weights and
#: per-connection BN) and a retraining's (neither, paper Sec. 3.3)
MODES = {'search': dict(weighted=True, connection_bn=True),
         'retrain': dict(weighted=False, connection_bn=False)}


def bench_stage(l, batch, xp, repeat, rng, mode='search'):
    names, shapes, xs = stage_inputs(l, batch, xp, rng)
    size = (SIZES[l - 1], SIZES[l - 1])
    stages = {}
    for fused in (True, False):
        numpy.random.seed(0)
        stage = FDNStage([s[0] for s in shapes], DECODER, fused=fused,
                         **MODES[mode])
        if xp is not numpy:
            stage.to_gpu()
        stages[fused] = stage
    stages[False].copyparams(stages[True])
    gy = xp.asarray(rng.randn(batch, DECODER, *size).astype(numpy.float32))
    row = {'stage': l, 'mode': mode, 'inputs': len(names),
           'output': list(size), 'batch': batch}
    for fused, stage in stages.items():
        key = 'fused' if fused else 'unfused'
        vs = [chainer.Variable(x) for x in xs]
        # the unfused stage as a user would write it: F.resize_images
        stock = not fused

        def forward():
            with chainer.using_config('train', True), \
                    chainer.no_backprop_mode(), \
                    chainer.using_config('stock_functions', stock):
                return stage(vs, size)

        def forward_backward():
            with chainer.using_config('train', True), \
                    chainer.using_config('stock_functions', stock):
                stage.cleargrads()
                y = stage(vs, size)
                y.grad = gy
                y.backward()

        row[key + '_forward_s'], _ = _time(forward, xp, repeat)
        row[key + '_forward_backward_s'], _ = _time(forward_backward, xp,
                                                    repeat)
        row[key + '_peak_bytes'] = _peak_memory(forward_backward, xp)
    row['forward_speedup'] = row['unfused_forward_s'] / row['fused_forward_s']
    row['forward_backward_speedup'] = (row['unfused_forward_backward_s']
                                       / row['fused_forward_backward_s'])
    row['peak_memory_ratio'] = (row['fused_peak_bytes']
                                / row['unfused_peak_bytes'])
    # bytes the accumulate step must move at least: every conv output (one
    # per input, at its own resolution) read once, the output written once
    low = sum(batch * DECODER * s[1] * s[2] for s in shapes)
    row['kernel_min_bytes'] = 4 * (low + batch * DECODER * size[0] * size[1])
    if xp is not numpy:
        row.update(kernel_bandwidth(shapes=shapes, batch=batch, size=size,
                                    xp=xp, repeat=repeat))
    return row


def copy_bandwidth(xp, repeat, nbytes=256 * 2 ** 20):
    """The device's copy bandwidth (bytes read + written per second)."""
    src = xp.empty(nbytes // 4, numpy.float32)
    dst = xp.empty_like(src)
    t, _ = _time(lambda: dst.__setitem__(Ellipsis, src), xp, repeat)
    return 2 * src.nbytes / t


def kernel_bandwidth(shapes, batch, size, xp, repeat, kernels=None):
    """Times of the CUDA kernels alone and their achieved bandwidth.

    - ``accumulate``: the whole fused accumulate step (group sums and bias
      at low resolution, then ``fdn_stage_forward``), against the bytes
      any implementation must move (``kernel_min_bytes``);
    - ``forward kernel``: ``fdn_stage_forward`` alone, against the bytes it
      moves (group sums and output-sized inputs read once, output written
      once);
    - ``backward kernels``: the transposed interpolation of gy to every
      input size (``fdn_stage_backward_rows`` + ``_cols``), against gy read
      once and one array per resized size written once.

    Each is also given as a fraction of the device's copy bandwidth.

    Args:
        shapes (list of tuple): ``(C_t, h_t, w_t)`` of each input.
        batch (int): the batch size.
        size (tuple of int): the output size.
        xp: :mod:`cupy` (or :mod:`numpy` with emulated ``kernels``).
        repeat (int): timed repeats (the median is reported).
        kernels: the kernels (default:
            :func:`sparsemask.cuda.fdn_stage_kernels`).

    Returns:
        dict: times in seconds, bytes, GB/s and fractions.

    """
    from sparsemask.cuda import fdn_stage_kernels
    from sparsemask.functions.fdn_stage import accumulate_kernel
    from sparsemask.functions.fdn_stage import launch_forward
    from sparsemask.functions.fdn_stage import transposed_upsample_kernel
    from sparsemask.functions.fdn_stage_plan import stage_plan
    rng = numpy.random.RandomState(1)
    H, W = size
    sizes = [s[1:] for s in shapes]
    zs = [xp.asarray(rng.randn(batch, DECODER, *hw).astype(numpy.float32))
          for hw in sizes]
    scale = xp.asarray(rng.uniform(0.5, 1.5, (len(zs), DECODER))
                       .astype(numpy.float32))
    shift = xp.zeros(DECODER, numpy.float32)
    kernels = kernels or fdn_stage_kernels()
    plan = stage_plan(sizes, size)
    out_elems = batch * DECODER * H * W
    t_acc, _ = _time(
        lambda: accumulate_kernel(kernels, zs, scale, shift, size), xp,
        repeat)
    sums = [plan.scaled_sum(zs, scale, ts) for _, ts in plan.resized]
    fulls = [zs[t] for t in plan.full]
    bias = plan.bias(xp, zs, scale, shift)
    full_scale = scale[plan.full]
    t_fwd, _ = _time(lambda: launch_forward(kernels, plan, sums, fulls,
                                            full_scale, bias), xp, repeat)
    fwd_bytes = 4 * (sum(int(z.size) for z in sums + fulls) + bias.size
                     + out_elems)
    gy = xp.asarray(rng.randn(batch, DECODER, H, W).astype(numpy.float32))
    t_bwd, _ = _time(lambda: transposed_upsample_kernel(kernels, gy, sizes),
                     xp, repeat)
    bwd_bytes = 4 * (out_elems + sum(batch * DECODER * h * w
                                     for (h, w), _ in plan.resized))
    copy_bw = copy_bandwidth(xp, repeat)
    min_bytes = 4 * (sum(int(z.size) for z in zs) + out_elems)
    return {
        'copy_bandwidth_GBps': copy_bw / 1e9,
        'accumulate_s': t_acc,
        'accumulate_bandwidth_GBps': min_bytes / t_acc / 1e9,
        'accumulate_bandwidth_fraction': min_bytes / t_acc / copy_bw,
        'kernel_forward_s': t_fwd,
        'kernel_forward_bytes': fwd_bytes,
        'kernel_bandwidth_GBps': fwd_bytes / t_fwd / 1e9,
        'kernel_bandwidth_fraction': fwd_bytes / t_fwd / copy_bw,
        'kernel_backward_s': t_bwd,
        'kernel_backward_bytes': bwd_bytes,
        'kernel_backward_bandwidth_GBps': bwd_bytes / t_bwd / 1e9,
        'kernel_backward_bandwidth_fraction': bwd_bytes / t_bwd / copy_bw,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gpu', type=int, default=-1)
    parser.add_argument('--batchsize', type=int, default=None,
                        help='default: 2 on CPU, 16 on GPU')
    parser.add_argument('--stages', type=int, nargs='+', default=[1, 6])
    parser.add_argument('--modes', nargs='+', default=['search', 'retrain'],
                        choices=sorted(MODES))
    parser.add_argument('--repeat', type=int, default=None,
                        help='default: 3 on CPU, 20 on GPU')
    parser.add_argument('--out', default='result/bench_kernels.json')
    args = parser.parse_args()

    try:
        xp = require_gpu(args.gpu) or numpy
    except GPUUnavailableError as e:
        raise SystemExit('error: {}'.format(e))
    device = device_name(args.gpu)
    batch = args.batchsize or (16 if args.gpu >= 0 else 2)
    repeat = args.repeat or (20 if args.gpu >= 0 else 3)
    rng = numpy.random.RandomState(0)
    rows = [bench_stage(l, batch, xp, repeat, rng, mode)
            for mode in args.modes for l in args.stages]

    head = ('mode', 'stage', 'inputs', 'out', 'fwd fused', 'fwd unfused', 'ratio',
            'f+b fused', 'f+b unfused', 'ratio', 'peak fused', 'peak unfused',
            'mem ratio')
    print('device: {}, batch {}, median of {} repeats, MobileNetV2 FDN at '
          '513x513'.format(device, batch, repeat))
    print(('{:<7} {:>5} {:>6} {:>7} {:>10} {:>11} {:>6} {:>10} {:>11} '
           '{:>6} {:>11} {:>12} {:>9}').format(*head))
    for r in rows:
        print(('{mode:<7} {stage:>5} {inputs:>6} {o:>7} {fused_forward_s:>9.3f}s '
               '{unfused_forward_s:>10.3f}s {forward_speedup:>5.2f}x '
               '{fused_forward_backward_s:>9.3f}s '
               '{unfused_forward_backward_s:>10.3f}s '
               '{forward_backward_speedup:>5.2f}x {fp:>9.1f}MB {up:>10.1f}MB '
               '{peak_memory_ratio:>9.2f}').format(
                   o='{}x{}'.format(*r['output']),
                   fp=r['fused_peak_bytes'] / 2 ** 20,
                   up=r['unfused_peak_bytes'] / 2 ** 20, **r))
        if 'kernel_bandwidth_GBps' in r:
            print('      copy bandwidth {:.1f} GB/s'.format(
                r['copy_bandwidth_GBps']))
            for name, t, key in (
                    ('forward kernel', 'kernel_forward_s', 'kernel'),
                    ('accumulate step', 'accumulate_s', 'accumulate'),
                    ('backward kernels', 'kernel_backward_s',
                     'kernel_backward')):
                print('      {:<17} {:8.3f} ms {:8.1f} GB/s ({:.0%} of '
                      'copy)'.format(name, 1e3 * r[t],
                                     r[key + '_bandwidth_GBps'],
                                     r[key + '_bandwidth_fraction']))
    result = {'device': device, 'batch': batch, 'repeat': repeat,
              'input_size': 513, 'backbone': 'MobileNetV2', 'stages': rows}
    if os.path.dirname(args.out):
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + '\n')
    print('wrote {}'.format(args.out))


if __name__ == '__main__':
    main()
