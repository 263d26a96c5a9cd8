"""Benchmark a SparseMask model: parameters, test-phase speed, training
step time and memory, ours against stock Chainer and ONNX Runtime.

The model is built from a config (``--config`` and ``section.key=value``
overrides) with the architecture ``--arch`` (default: the paper's
MobileNetV2 architecture, 15 connections), or the search model
(``--search``: the full FDN with per-connection BN and weights), or
rebuilt from a training run (``--run DIR``). The weights do not matter:
without ``--run`` the encoder is randomly initialised
(``model.pretrained_model`` is forced to null; nothing is downloaded).

Three variants run the same weights in the same process, taking turns:
``ours`` (this project's functions and the fused FDN stage), ``stock``
(Chainer's own functions, the unfused decoder) and ``onnxruntime`` (ours
exported to ONNX and run by ONNX Runtime on the CPU with ``--threads``
threads, in a child process of its own unless ``--onnxruntime-in-process``;
skipped on a GPU, without the ``onnx`` extra or with
``--no-onnxruntime``). Run the script with ``OPENBLAS_NUM_THREADS`` equal
to ``--threads`` for a fair comparison (the default of ``--threads``
follows it).

It reports the parameters as encoder+decoder in the paper's format
(``2.22+0.56M``), the test-phase images/s at ``--size`` for each
``--batch`` (median of ``--repeat`` runs after warm-up), and for each
``--train-crop`` and ``--train-batch`` the time and memory of one
training step (tracemalloc peak on the CPU, CuPy's memory pool on a GPU);
the variants' outputs must agree to 1e-4. As the training and evaluation
scripts do, it first lets malloc keep freed blocks for reuse
(:func:`sparsemask.utils.reuse_freed_memory`; ``--default-malloc``: not). See
:mod:`sparsemask.benchmarks.run_model_benchmark` for the method.

A table is printed and everything is written to ``--json`` (default
``eval/results/bench_model_<cpu|gpu>.json``). A bad option, config key or
file ends the script with one ``error:`` line and exit status 1; so do
outputs that disagree (after the JSON is written).

Usage (overrides go before options that take several values)::

    python eval/bench_model.py
    python eval/bench_model.py --arch full --repeat 3
    python eval/bench_model.py --search model.width_multiplier=0.5
    python eval/bench_model.py --run result/voc_mobilenetv2_retrain
    OPENBLAS_NUM_THREADS=1 python eval/bench_model.py --threads 1
    python eval/bench_model.py --gpu 0 --batch 1 16 --repeat 20
    python eval/bench_model.py --quick model.width_multiplier=0.25
"""

import argparse
import json
import os
import sys

from sparsemask.benchmarks import default_threads
from sparsemask.benchmarks import format_model_report
from sparsemask.benchmarks import parse_size
from sparsemask.benchmarks import run_model_benchmark
from sparsemask.cuda import require_gpu
from sparsemask.training import ConfigError
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.utils import atomic_write_text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: the paper's protocol (decoder depth 64); the demo config halves it
DEFAULT_CONFIG = os.path.join(ROOT, 'configs', 'voc_mobilenetv2_retrain.yaml')
#: the architecture SparseMask found for MobileNetV2 on VOC (paper Fig. 3)
PAPER_ARCH = os.path.join(ROOT, 'configs', 'arch',
                          'sparsemask_mobilenetv2_voc.yaml')
#: what --quick changes (unless the option is given)
QUICK = {'size': '64', 'batch': [1, 2], 'repeat': 1, 'warmup': 1,
         'train_batch': [2], 'train_crop': ['64'], 'train_repeat': 1}
NORMAL = {'size': '512x512', 'batch': [1, 8], 'repeat': 5, 'warmup': 1,
          'train_batch': [2, 8], 'train_crop': ['321', '513'],
          'train_repeat': 3}


def _check_options(args):
    for name in ('repeat', 'train_repeat', 'threads'):
        value = getattr(args, name)
        if value < 1:
            raise ConfigError('--{} {}: expected a positive integer'.format(
                name.replace('_', '-'), value))
    for name in ('train_batch', 'warmup', 'batch'):
        values = getattr(args, name)
        if name == 'warmup':
            if values < 0:
                raise ConfigError('--warmup {}: expected 0 or more'.format(
                    values))
        elif not values or min(values) < 1:
            raise ConfigError('--{} {}: expected positive integers'.format(
                name.replace('_', '-'), ' '.join(str(b) for b in values)))


def run_benchmark(args):
    """Runs :func:`~sparsemask.benchmarks.run_model_benchmark` for parsed
    arguments (see :func:`make_parser`) and returns its result."""
    for key, value in (QUICK if args.quick else NORMAL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.threads is None:
        args.threads = default_threads()
    _check_options(args)
    size = parse_size(args.size)
    crops = [parse_size(crop, '--train-crop') for crop in args.train_crop]
    return run_model_benchmark(
        config=args.config, overrides=args.overrides, run=args.run,
        arch=args.arch, search=args.search, n_class=args.n_class,
        default_arch=PAPER_ARCH, gpu=args.gpu, size=size, batches=args.batch,
        repeat=args.repeat, warmup=args.warmup,
        train_batches=args.train_batch, train_crops=crops,
        train_repeat=args.train_repeat, threads=args.threads,
        onnxruntime=not args.no_onnxruntime,
        reuse_memory=not args.default_malloc,
        onnxruntime_process=not args.onnxruntime_in_process,
        argv=sys.argv[1:] if args.argv is None else args.argv,
        progress=None if args.quiet else lambda t: print(t, flush=True))


def make_parser():
    """Returns the command-line parser."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='YAML config (default: %(default)s, the '
                        "paper's model; configs/demo.yaml has decoder "
                        'depth 32)')
    parser.add_argument('--run', default=None,
                        help="a training run's --out directory: its config "
                        'and trained weights (replaces --config)')
    parser.add_argument('--arch', default=None,
                        help="an arch.yaml, 'full' or 'unet' (default: "
                        "the paper's architecture {}; with --run, the "
                        "run's)".format(os.path.relpath(PAPER_ARCH, ROOT)))
    parser.add_argument('--search', action='store_true',
                        help='the search model (full FDN with connection '
                        'weights)')
    parser.add_argument('--n-class', type=int, default=None,
                        help='classes (default: 21; with --run, the '
                        "run's)")
    parser.add_argument('--gpu', type=int, default=-1,
                        help='GPU id, -1 for the CPU')
    parser.add_argument('--size', default=None,
                        help='test input H or HxW (default: 512x512)')
    parser.add_argument('--batch', type=int, nargs='+', default=None,
                        help='test batch sizes (default: 1 8)')
    parser.add_argument('--repeat', type=int, default=None,
                        help='timed runs; the median is reported '
                        '(default: 5)')
    parser.add_argument('--warmup', type=int, default=None,
                        help='untimed runs first (default: 1)')
    parser.add_argument('--train-batch', type=int, nargs='+', default=None,
                        help='training steps: batch sizes (default: 2 8)')
    parser.add_argument('--train-crop', nargs='+', default=None,
                        help='training steps: crops, H or HxW each '
                        '(default: 321 513)')
    parser.add_argument('--train-repeat', type=int, default=None,
                        help='timed training steps (default: 3)')
    parser.add_argument('--threads', type=int, default=None,
                        help="ONNX Runtime's threads (default: "
                        'OPENBLAS_NUM_THREADS when set, else one per core)')
    parser.add_argument('--no-onnxruntime', action='store_true',
                        help='do not run the export in ONNX Runtime')
    parser.add_argument('--onnxruntime-in-process', action='store_true',
                        help='run ONNX Runtime in this process (default: in '
                        'a child process of its own; in one process it and '
                        'our model slow each other down)')
    parser.add_argument('--default-malloc', action='store_true',
                        help="keep glibc's default allocation (without "
                        'sparsemask.utils.reuse_freed_memory, which the '
                        'training and evaluation scripts call)')
    parser.add_argument('--quick', action='store_true',
                        help='tiny sizes for tests: --size 64 --batch 1 2 '
                        '--repeat 1 --train-batch 2 --train-crop 64 '
                        '--train-repeat 1 (given options still win)')
    parser.add_argument('--json', default=None,
                        help='output file (default: '
                        'eval/results/bench_model_<cpu|gpu>.json)')
    parser.add_argument('--quiet', action='store_true',
                        help='no progress lines')
    parser.add_argument('--debug', action='store_true',
                        help='print the traceback of every error')
    parser.add_argument('overrides', nargs='*', metavar='section.key=value',
                        help='config overrides, e.g. '
                        'model.width_multiplier=0.5 model.channels=32')
    return parser


def main(argv=None):
    parser = make_parser()
    args = parser.parse_intermixed_args(argv)
    args.argv = argv
    try:
        require_gpu(args.gpu)
        path = args.json or os.path.join(
            ROOT, 'eval', 'results', 'bench_model_{}.json'.format(
                'gpu' if args.gpu >= 0 else 'cpu'))
        # fail on an unwritable directory before the long measurements
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        result = run_benchmark(args)
        print(format_model_report(result, root=ROOT))
        atomic_write_text(path, json.dumps(result, indent=2) + '\n')
        print('wrote {}'.format(path))
        o = result['outputs']
        if not o['agree']:
            raise ValueError(
                'the outputs of ours and stock (and ONNX Runtime) differ by '
                '{:.3g} (more than {:g} x max(1, largest logit {:.3g})): our '
                'functions disagree with the stock ones'.format(
                    max(o['max_abs_diff'],
                        o.get('onnxruntime_max_abs_diff', 0)),
                    o['tolerance'], o['max_abs_logit']))
    except Exception as e:
        sys.exit(report_failure(e, debug=debug_requested(args.debug)))


if __name__ == '__main__':
    main()
