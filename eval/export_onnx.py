"""Exports a trained model to ONNX and checks the file against Chainer.

The model is read from the ``--out`` directory of ``train/retrain.py`` (or
``train/search.py``): its ``config.yaml``, ``model.npz`` (or newest
snapshot) and ``arch.yaml``; or from ``--config`` with ``--model`` (and
``--arch``). It is exported as it is built (with the fused FDN-stage op
unless the config says ``model.fused: false``; the ``model.fused=false``
override exports the unfused graph) in test mode, for inputs of one fixed
shape ``(1, 3, H, W)``: normalised images, ``(image - mean) / std`` with
the backbone's mean and std. The graph's input is ``x``, its output
``logits`` ``(1, n_class, H, W)``.

The file is then run with ONNX Runtime on a random input (fixed seed) and
compared with Chainer on the same input. It is written to ``--output``
only when the largest absolute difference is within ``--tolerance``;
otherwise nothing is written and the script fails.

Needs the ``onnx`` extra (``pip install -c constraints.txt -e .[onnx]``).

Examples::

    python eval/export_onnx.py result/demo/retrain_searched
    python eval/export_onnx.py result/voc_retrain --size 513 513 \\
        --output voc.onnx
"""

import argparse
import sys

from sparsemask.training import export_trained_model
from sparsemask.training.arguments import add_trained_model_arguments
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure


def positive_int(text):
    """Parses a positive integer (a size)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            'expected a positive integer, not {!r}'.format(text))
    return value


def make_parser():
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_trained_model_arguments(parser, 'out')
    parser.add_argument('--output', default=None,
                        help='the ONNX file (default: OUT/model.onnx, or '
                        'model.onnx beside --model)')
    parser.add_argument('--size', type=positive_int, nargs=2, default=None,
                        metavar=('H', 'W'),
                        help="the input size (default: the config's "
                        'train.crop_size)')
    parser.add_argument('--opset', type=int, default=11,
                        help='the ONNX opset version (default: 11)')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='the largest absolute difference from '
                        'Chainer accepted (default: 1e-4)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random check input (default: 0)')
    parser.add_argument('--debug', action='store_true',
                        help='print the traceback of every error')
    parser.add_argument('overrides', nargs='*', metavar='section.key=value',
                        help='config overrides, e.g. model.fused=false')
    return parser


def export(args, log=sys.stdout):
    """Runs the export of parsed arguments (see :func:`make_parser` and
    :func:`~sparsemask.training.export_trained_model`).

    Returns:
        float: the largest absolute difference from Chainer.

    """
    return export_trained_model(
        out=args.out, config=args.config, model=args.model, arch=args.arch,
        overrides=args.overrides, output=args.output, size=args.size,
        opset=args.opset, tolerance=args.tolerance, seed=args.seed, log=log)


def main(argv=None):
    args = make_parser().parse_intermixed_args(argv)
    try:
        export(args)
    except SystemExit:
        raise
    except BaseException as e:
        sys.exit(report_failure(e, debug=debug_requested(args.debug)))


if __name__ == '__main__':
    main()
