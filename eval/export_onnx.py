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
import os
import sys
import tempfile

import numpy

from sparsemask.training import ConfigError
from sparsemask.training import load_trained_model
from sparsemask.training.arguments import add_trained_model_arguments
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.utils.check_writable import check_writable


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


def random_input(model, size, seed=0):
    """A random normalised image ``(1, 3, H, W)``: uniform pixels in
    [0, 255], normalised with the model's mean and std."""
    rng = numpy.random.RandomState(seed)
    img = rng.uniform(0, 255, (1, 3) + tuple(size))
    x = (img - model.mean[None]) / model.std[None]
    return x.astype(numpy.float32)


def _output_path(args):
    if args.output is not None:
        return args.output
    if args.out is not None:
        return os.path.join(args.out, 'model.onnx')
    if args.model is not None:
        return os.path.join(os.path.dirname(os.path.abspath(args.model)),
                            'model.onnx')
    raise ConfigError('give the out directory of a run, or --config with '
                      '--model')


def _size(args, config):
    if args.size is not None:
        return tuple(args.size)
    crop = config['train']['crop_size']
    if isinstance(crop, (list, tuple)):
        return tuple(int(s) for s in crop)
    return int(crop), int(crop)


def _check_extra():
    try:
        import onnx  # NOQA
        import onnxruntime  # NOQA
    except ImportError as e:
        raise ConfigError(
            'exporting needs onnx and onnxruntime (the onnx extra): pip '
            'install -c constraints.txt -e ".[onnx]" ({})'.format(e))


def export(args, log=sys.stdout):
    """Runs the export of parsed arguments.

    Args:
        args (argparse.Namespace): see :func:`make_parser`.
        log (file): where to print the result.

    Returns:
        float: the largest absolute difference from Chainer.

    Raises:
        ConfigError: if the run, the files or an option is invalid.
        OSError: if the ONNX file cannot be written (checked before the
            export); the error names the file as given.
        ValueError: if the exported model does not match Chainer.

    """
    _check_extra()
    from sparsemask.export import check_onnx
    from sparsemask.export import export_onnx
    from sparsemask.export.export_onnx import MAXIMUM_OPSET
    from sparsemask.export.external_converters import MINIMUM_OPSET

    if not args.tolerance >= 0:
        raise ConfigError('--tolerance must be >= 0, not {}'.format(
            args.tolerance))
    if not MINIMUM_OPSET <= args.opset <= MAXIMUM_OPSET:
        raise ConfigError(
            '--opset {}: supported are {} to {} (resizing with '
            'align_corners needs {}; onnx_chainer writes valid graphs up to '
            '{})'.format(args.opset, MINIMUM_OPSET, MAXIMUM_OPSET,
                         MINIMUM_OPSET, MAXIMUM_OPSET))
    if args.output is not None:
        check_writable(args.output)
    model, config = load_trained_model(
        out=args.out, config=args.config, model=args.model, arch=args.arch,
        overrides=args.overrides)
    given = _output_path(args)
    if args.output is None:
        # beside the model, which exists now
        check_writable(given)
    output = os.path.abspath(given)
    directory = os.path.dirname(output)
    size = _size(args, config)
    x = random_input(model, size, args.seed)
    # Exported beside the destination and checked there; moved into place
    # only when it matches, so a failed run leaves the destination as it was.
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(
            prefix='.' + os.path.basename(output) + '.', suffix='.tmp',
            dir=directory)
        os.close(fd)
        export_onnx(model, x, tmp, opset=args.opset)
        diff = check_onnx(model, x, tmp)
        if not diff <= args.tolerance:
            raise ValueError(
                'the ONNX model differs from Chainer by {:.3g} (max abs, on '
                'a random input 1x3x{}x{}), more than --tolerance {:g}; '
                'it was not written to {}'.format(
                    diff, size[0], size[1], args.tolerance, output))
        nbytes = os.path.getsize(tmp)
        os.replace(tmp, output)
    except BaseException as e:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, OSError) and e.errno and e.strerror:
            # the error of a hidden temporary file names --output
            if tmp is None or e.filename in (tmp, None):
                e.filename, e.filename2 = given, None
        raise
    log.write('max abs difference onnxruntime vs chainer: {:.3g} '
              '(tolerance {:g}, input 1x3x{}x{}, opset {})\n'.format(
                  diff, args.tolerance, size[0], size[1], args.opset))
    log.write('wrote {} ({:.2f} MiB, {} bytes)\n'.format(
        output, nbytes / 2 ** 20, nbytes))
    log.flush()
    return diff


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
