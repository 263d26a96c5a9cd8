"""Benchmark the fused FDN stage against the stock-function stage.

Measures, for decoder stages of the MobileNetV2 Fully Dense Network at a
513x513 input, the forward and the forward+backward time (median of
repeats) and the peak memory of the fused op (``FDNStage(fused=True)``)
and of the unfused stage (``fused=False``: L.Convolution2D 1x1,
L.BatchNormalization, F.resize_images, scale, sum) in the same run, prints
a table with the ratios and writes JSON.

Stage 1 reads all 18 inputs (strides 2 and coarser, output stride 2);
stage 6 is a coarse stage (output stride 16, 8 inputs).

CPU: batch 2, peak memory from tracemalloc (NumPy allocations are
traced). GPU (``--gpu 0``): batch 16, peak memory from CuPy's memory pool,
and the forward kernel's achieved bandwidth against the bytes it must move
(low-resolution inputs read once, output written once), compared with the
device's measured copy bandwidth.

Usage::

    python eval/bench_kernels.py --out result/bench_kernels_cpu.json
    python eval/bench_kernels.py --gpu 0 --out result/bench_kernels_gpu.json
"""

import argparse
import json
import os
import platform
import time
import tracemalloc

import numpy

import chainer

from sparsemask import Connectivity
from sparsemask.links import FDNStage
from sparsemask.utils import atomic_write_text


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


def bench_stage(l, batch, xp, repeat, rng):
    names, shapes, xs = stage_inputs(l, batch, xp, rng)
    size = (SIZES[l - 1], SIZES[l - 1])
    stages = {}
    for fused in (True, False):
        numpy.random.seed(0)
        stage = FDNStage([s[0] for s in shapes], DECODER, weighted=True,
                         fused=fused)
        if xp is not numpy:
            stage.to_gpu()
        stages[fused] = stage
    stages[False].copyparams(stages[True])
    gy = xp.asarray(rng.randn(batch, DECODER, *size).astype(numpy.float32))
    row = {'stage': l, 'inputs': len(names), 'output': list(size),
           'batch': batch}
    for fused, stage in stages.items():
        key = 'fused' if fused else 'unfused'
        vs = [chainer.Variable(x) for x in xs]

        def forward():
            with chainer.using_config('train', True), \
                    chainer.no_backprop_mode():
                return stage(vs, size)

        def forward_backward():
            with chainer.using_config('train', True):
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
    # bytes the fused forward kernel must move: inputs of the accumulate
    # step (the low-resolution conv outputs, one per input) read once and
    # the output written once
    low = sum(batch * DECODER * s[1] * s[2] for s in shapes)
    row['kernel_min_bytes'] = 4 * (low + batch * DECODER * size[0] * size[1])
    if xp is not numpy:
        row.update(kernel_bandwidth(stage=stages[True], xs=xs, size=size,
                                    xp=xp, repeat=repeat,
                                    min_bytes=row['kernel_min_bytes']))
    return row


def kernel_bandwidth(stage, xs, size, xp, repeat, min_bytes):
    from sparsemask.cuda import fdn_stage_kernels
    from sparsemask.functions.fdn_stage import accumulate_kernel
    rng = numpy.random.RandomState(1)
    zs = [xp.asarray(rng.randn(x.shape[0], DECODER, *x.shape[2:])
                     .astype(numpy.float32)) for x in xs]
    scale = xp.ones((len(zs), DECODER), numpy.float32)
    shift = xp.zeros(DECODER, numpy.float32)
    kernel = fdn_stage_kernels().forward
    t, _ = _time(lambda: accumulate_kernel(kernel, zs, scale, shift, size),
                 xp, repeat)
    src = xp.empty(256 * 1024 * 1024 // 4, numpy.float32)
    dst = xp.empty_like(src)
    tc, _ = _time(lambda: dst.__setitem__(Ellipsis, src), xp, repeat)
    copy_bw = 2 * src.nbytes / tc
    return {'kernel_forward_s': t, 'kernel_bandwidth_GBps': min_bytes / t / 1e9,
            'copy_bandwidth_GBps': copy_bw / 1e9,
            'kernel_bandwidth_fraction': (min_bytes / t) / copy_bw}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gpu', type=int, default=-1)
    parser.add_argument('--batchsize', type=int, default=None,
                        help='default: 2 on CPU, 16 on GPU')
    parser.add_argument('--stages', type=int, nargs='+', default=[1, 6])
    parser.add_argument('--repeat', type=int, default=None,
                        help='default: 3 on CPU, 20 on GPU')
    parser.add_argument('--out', default='result/bench_kernels.json')
    args = parser.parse_args()

    if args.gpu >= 0:
        import cupy
        cupy.cuda.Device(args.gpu).use()
        xp = cupy
        device = cupy.cuda.runtime.getDeviceProperties(args.gpu)['name']
        device = device.decode() if isinstance(device, bytes) else device
    else:
        xp = numpy
        device = 'cpu: {} ({} cores)'.format(platform.processor() or
                                             platform.machine(),
                                             os.cpu_count())
    batch = args.batchsize or (16 if args.gpu >= 0 else 2)
    repeat = args.repeat or (20 if args.gpu >= 0 else 3)
    rng = numpy.random.RandomState(0)
    rows = [bench_stage(l, batch, xp, repeat, rng) for l in args.stages]

    head = ('stage', 'inputs', 'out', 'fwd fused', 'fwd unfused', 'ratio',
            'f+b fused', 'f+b unfused', 'ratio', 'peak fused', 'peak unfused',
            'mem ratio')
    print('device: {}, batch {}, median of {} repeats, MobileNetV2 FDN at '
          '513x513'.format(device, batch, repeat))
    print(('{:>5} {:>6} {:>7} {:>10} {:>11} {:>6} {:>10} {:>11} {:>6} '
           '{:>11} {:>12} {:>9}').format(*head))
    for r in rows:
        print(('{stage:>5} {inputs:>6} {o:>7} {fused_forward_s:>9.3f}s '
               '{unfused_forward_s:>10.3f}s {forward_speedup:>5.2f}x '
               '{fused_forward_backward_s:>9.3f}s '
               '{unfused_forward_backward_s:>10.3f}s '
               '{forward_backward_speedup:>5.2f}x {fp:>9.1f}MB {up:>10.1f}MB '
               '{peak_memory_ratio:>9.2f}').format(
                   o='{}x{}'.format(*r['output']),
                   fp=r['fused_peak_bytes'] / 2 ** 20,
                   up=r['unfused_peak_bytes'] / 2 ** 20, **r))
        if 'kernel_bandwidth_GBps' in r:
            print('      forward kernel: {:.1f} GB/s of {:.1f} GB/s copy '
                  'bandwidth ({:.0%})'.format(
                      r['kernel_bandwidth_GBps'], r['copy_bandwidth_GBps'],
                      r['kernel_bandwidth_fraction']))
    result = {'device': device, 'batch': batch, 'repeat': repeat,
              'input_size': 513, 'backbone': 'MobileNetV2', 'stages': rows}
    if os.path.dirname(args.out):
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + '\n')
    print('wrote {}'.format(args.out))


if __name__ == '__main__':
    main()
