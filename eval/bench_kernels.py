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
copy bandwidth (see :func:`sparsemask.benchmarks.kernel_bandwidth`).

Usage::

    python eval/bench_kernels.py --out result/bench_kernels_cpu.json
    python eval/bench_kernels.py --gpu 0 --out result/bench_kernels_gpu.json
"""

import argparse
import json
import os

import numpy

from sparsemask.benchmarks import device_name
from sparsemask.benchmarks import format_stage_report
from sparsemask.benchmarks import run_stage_benchmark
from sparsemask.benchmarks.stage_inputs import MODES
from sparsemask.cuda import GPUUnavailableError
from sparsemask.cuda import require_gpu
from sparsemask.utils import atomic_write_text


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
    batch = args.batchsize or (16 if args.gpu >= 0 else 2)
    repeat = args.repeat or (20 if args.gpu >= 0 else 3)
    result = run_stage_benchmark(xp, device_name(args.gpu), batch, repeat,
                                 stages=args.stages, modes=args.modes)
    print(format_stage_report(result))
    if os.path.dirname(args.out):
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + '\n')
    print('wrote {}'.format(args.out))


if __name__ == '__main__':
    main()
