"""Pretrains the CPU Table 1's encoder on image-level labels.

A MobileNetV2 (width 0.35 by default) learns the scene and which textures
are visible in images of the synthetic benchmark
(:class:`~sparsemask.datasets.SyntheticBenchmarkDataset`) drawn with seeds
of their own (the benchmark's splits are not seen). Its weights, without
the classifier, go to ``OUT/encoder.npz``, and the config, checksum,
held-out accuracies and time to ``OUT/encoder.yaml``
(:mod:`sparsemask.training.pretrain_encoder`).

The weights that ``model.pretrained_model: benchmark`` loads are made
with::

    OPENBLAS_NUM_THREADS=1 python train/pretrain.py \\
        --out sparsemask/backbones/weights
    mv sparsemask/backbones/weights/encoder.npz \\
        sparsemask/backbones/weights/mobilenetv2_w0.35_benchmark.npz
    mv sparsemask/backbones/weights/encoder.yaml \\
        sparsemask/backbones/weights/mobilenetv2_w0.35_benchmark.yaml

(``--install`` does the renaming). A bad option, config key or value ends
the script with one ``error:`` line and exit status 1.
"""

import argparse
import os
import sys

from sparsemask.training.pretrain_encoder import install_encoder
from sparsemask.training.pretrain_encoder import load_pretrain_config
from sparsemask.training.pretrain_encoder import pretrain_encoder
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.utils.reuse_freed_memory import reuse_freed_memory

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIG = os.path.join(ROOT, 'configs', 'pretrain_benchmark.yaml')


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='YAML config (default: %(default)s)')
    parser.add_argument('--out', default=os.path.join('result', 'pretrain'),
                        help='output directory (default: %(default)s)')
    parser.add_argument('--install', action='store_true',
                        help='then name the files as model.pretrained_model '
                             '= benchmark expects (mobilenetv2_w0.35_'
                             'benchmark.npz and .yaml in --out)')
    parser.add_argument('--debug', action='store_true',
                        help='print the traceback of every error')
    parser.add_argument('overrides', nargs='*', metavar='section.key=value',
                        help='config overrides, e.g. train.iterations=100')
    args = parser.parse_intermixed_args(argv)
    reuse_freed_memory()
    try:
        config = load_pretrain_config(args.config, args.overrides)
        command = ' '.join(['train/pretrain.py'] + (
            sys.argv[1:] if argv is None else list(argv)))
        pretrain_encoder(config, args.out, say=lambda t: print(t, flush=True),
                         command=command)
        if args.install:
            print('installed as {}'.format(install_encoder(args.out)))
    except SystemExit:
        raise
    except BaseException as e:
        sys.exit(report_failure(e, debug=debug_requested(args.debug)))


if __name__ == '__main__':
    main()
