"""Evaluates a trained model on a split of its data set, with the metrics
of its ``task``:

- segmentation: ChainerCV's mIoU, pixel accuracy, mean class accuracy and
  the IoU of each class;
- saliency: max F_beta (beta^2 = 0.3), mean and adaptive F_beta and MAE of
  pysodmetrics (the paper's Table 5);
- edge: ODS, OIS, AP and R50 of pyEdgeEval's BSDS500 benchmark after the
  standard non-maximum suppression (``--thresholds``, ``--no-nms``; the
  paper's Table 6).

The model is read from the ``--out`` directory of ``train/retrain.py`` (its
``config.yaml``, ``model.npz`` or newest snapshot, and ``arch.yaml``), or
from ``--config`` with ``--model`` (and ``--arch``). The data set is the
config's; ``--split`` picks the split (the config's ``val_split`` by
default) and ``section.key=value`` overrides change the config, e.g. the
data folder.

Protocols:

- single scale (the default): the whole image, as it is;
- the paper's Table 1: ``--pad-to 513``: each image padded to 513x513 with
  the mean pixel, as the authors' evaluation does;
- the paper's Table 2: ``--scales 0.5,0.75,1.0,1.25,1.5,1.75 --flip``:
  softmax probabilities averaged over the scales and their mirror images.

``--runtime onnxruntime`` runs the model exported to ONNX (once per input
shape, in memory) in ONNX Runtime on the CPU instead of Chainer, with the
same protocol and metrics (the ``onnx`` extra).

Under ``mpiexec -n N ... --communicator naive`` each process evaluates
every N-th image and the confusion matrices are summed.

Examples::

    python eval/evaluate.py result/demo/retrain_searched
    python eval/evaluate.py result/voc_retrain --gpu 0 --pad-to 513 \\
        dataset.voc_dir=~/data/VOC2012
    python eval/evaluate.py result/voc_retrain --gpu 0 \\
        --scales 0.5,0.75,1.0,1.25,1.5,1.75 --flip
    python eval/evaluate.py result/bsds --gpu 0 --split test
"""

import argparse
import sys

from sparsemask.training import ConfigError
from sparsemask.training import evaluate_trained_model
from sparsemask.training.arguments import add_trained_model_arguments
from sparsemask.training.arguments import create_communicator
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.utils.reuse_freed_memory import reuse_freed_memory


def parse_scales(text):
    """Parses ``--scales``: comma-separated positive numbers."""
    try:
        scales = [float(s) for s in text.split(',') if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            'expected comma-separated numbers such as 0.5,1.0,1.5, not '
            '{!r}'.format(text))
    if not scales or any(not s > 0 for s in scales):
        raise argparse.ArgumentTypeError(
            'expected positive scales such as 0.5,1.0,1.5, not {!r}'.format(
                text))
    return scales


def parse_pad_to(text):
    """Parses ``--pad-to``: ``S`` or ``H,W``, positive integers."""
    try:
        size = [int(s) for s in text.split(',')]
    except ValueError:
        size = []
    if len(size) == 1:
        size = size * 2
    if len(size) != 2 or min(size) < 1:
        raise argparse.ArgumentTypeError(
            'expected a size such as 513 or 513,513, not {!r}'.format(text))
    return tuple(size)


def make_parser():
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_trained_model_arguments(parser, 'run')
    parser.add_argument('--split', default=None,
                        help="the split (default: the config's "
                        'dataset.val_split)')
    parser.add_argument('--scales', type=parse_scales, default=[1.0],
                        help='comma-separated input scales (default: 1.0)')
    parser.add_argument('--flip', action='store_true',
                        help='also average over the mirrored images')
    parser.add_argument('--pad-to', type=parse_pad_to, default=None,
                        metavar='S or H,W',
                        help='pad each input to at least this size with '
                        'the mean pixel (the paper\'s Table 1: 513)')
    parser.add_argument('--thresholds', type=int, default=99,
                        help='edge: the number of thresholds of the BSDS '
                        'benchmark (default: 99)')
    parser.add_argument('--no-nms', action='store_true',
                        help='edge: no non-maximum suppression before the '
                        'benchmark')
    parser.add_argument('--n-images', type=int, default=None,
                        help='evaluate the first N images only')
    parser.add_argument('--json', default=None,
                        help='where to write the results (default: '
                        'eval_<split>_<protocol>[_onnxruntime].json beside '
                        'the model)')
    parser.add_argument('--runtime', default='chainer',
                        choices=('chainer', 'onnxruntime'),
                        help='what runs the model: Chainer (default), or '
                        'ONNX Runtime on the CPU on the model exported to '
                        'ONNX')
    parser.add_argument('--gpu', type=int, default=-1,
                        help='GPU id, -1 for CPU; under mpiexec each '
                        'process uses its intra-node rank when >= 0')
    parser.add_argument('--communicator', default=None,
                        choices=('naive', 'flat', 'pure_nccl'),
                        help='run under ChainerMN (mpiexec -n N)')
    parser.add_argument('--debug', action='store_true',
                        help='print the traceback of every error')
    parser.add_argument('overrides', nargs='*', metavar='section.key=value',
                        help='config overrides, e.g. dataset.voc_dir=...')
    return parser


def evaluate(args, log=sys.stdout):
    """Runs the evaluation of parsed arguments (see
    :func:`~sparsemask.training.evaluate_trained_model`).

    Args:
        args (argparse.Namespace): see :func:`make_parser`; ``args.comm``
            is set to the ChainerMN communicator (or None).
        log (file): where rank 0 prints the table.

    Returns:
        dict: the JSON written (metrics, per-class IoU, protocol).

    """
    if args.runtime == 'onnxruntime' and args.gpu >= 0:
        raise ConfigError('--runtime onnxruntime runs on the CPU: drop '
                          '--gpu {}'.format(args.gpu))
    args.comm, device = create_communicator(args.communicator, args.gpu)
    return evaluate_trained_model(
        run=args.run, config=args.config, model=args.model, arch=args.arch,
        overrides=args.overrides, split=args.split, scales=args.scales,
        flip=args.flip, pad_to=args.pad_to, thresholds=args.thresholds,
        nms=not args.no_nms, n_images=args.n_images, json_path=args.json,
        runtime=args.runtime, comm=args.comm, device=device, log=log)


def main(argv=None):
    args = make_parser().parse_intermixed_args(argv)
    args.comm = None
    debug = debug_requested(args.debug)
    reuse_freed_memory()
    try:
        return evaluate(args)
    except SystemExit:
        raise
    except BaseException as e:
        sys.exit(report_failure(e, debug=debug, comm=args.comm))


if __name__ == '__main__':
    main()
