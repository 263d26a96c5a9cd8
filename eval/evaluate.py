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
import json
import os
import sys
import time

import numpy

import chainer

from sparsemask.evaluations import evaluate_edges
from sparsemask.evaluations import evaluate_saliency
from sparsemask.evaluations import evaluate_segmentation
from sparsemask.training import ConfigError
from sparsemask.training import load_trained_model
from sparsemask.training.arguments import add_trained_model_arguments
from sparsemask.training.arguments import create_communicator
from sparsemask.training.build_dataset import build_dataset
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.utils.atomic_write import atomic_write_text
from sparsemask.utils.check_writable import check_writable


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


def protocol_name(scales, flip, pad_to):
    """A short name of the protocol, e.g. ``ms0.5-1.75_flip_pad513``."""
    parts = []
    if list(scales) != [1.0]:
        parts.append('ms' + '-'.join('{:g}'.format(s) for s in scales))
    if flip:
        parts.append('flip')
    if pad_to is not None:
        parts.append('pad{}'.format(pad_to[0]) if pad_to[0] == pad_to[1]
                     else 'pad{}x{}'.format(*pad_to))
    return '_'.join(parts) or 'single_scale'


def format_table(result, label_names):
    """The results as text: one row per class, then the means.

    Args:
        result (dict): what :func:`evaluate_segmentation` returned.
        label_names (sequence of str): the class names.

    Returns:
        str: the table.

    """
    width = max([len('mean class accuracy')] + [len(n) for n in label_names])
    lines = ['{:<{w}}  {:>7}  {:>8}  {:>12}'.format(
        'class', 'IoU', 'accuracy', 'pixels (gt)', w=width)]
    pixels = result['confusion'].sum(axis=1)
    for name, iou, acc, n in zip(label_names, result['iou'],
                                 result['class_accuracy'], pixels):
        lines.append('{:<{w}}  {:>7}  {:>8}  {:>12d}'.format(
            name, _pct(iou), _pct(acc), int(n), w=width))
    lines.append('-' * len(lines[0]))
    for key, name in (('miou', 'mIoU'), ('pixel_accuracy', 'pixel accuracy'),
                      ('mean_class_accuracy', 'mean class accuracy')):
        lines.append('{:<{w}}  {:>7}'.format(name, _pct(result[key]),
                                            w=width))
    return '\n'.join(lines)


def format_binary_table(result, task):
    """The results of a saliency or edge evaluation as text.

    Args:
        result (dict): what :func:`evaluate_saliency` or
            :func:`evaluate_edges` returned.
        task (str): ``'saliency'`` or ``'edge'``.

    Returns:
        str: the table.

    """
    if task == 'saliency':
        rows = (('max F_beta', 'max_fbeta'), ('mean F_beta', 'mean_fbeta'),
                ('adaptive F_beta', 'adaptive_fbeta'), ('MAE', 'mae'))
    else:
        rows = (('ODS', 'ods'), ('OIS', 'ois'), ('AP', 'ap'), ('R50', 'r50'))
    return '\n'.join('{:<16} {}'.format(name, _number(result[key]))
                     for name, key in rows)


def _number(value):
    return '-' if value is None or value != value else '{:.4f}'.format(value)


def _pct(value):
    return '-' if value != value else '{:.2f}'.format(100 * value)


class _Progress(object):
    # a one-line progress bar on a terminal; nothing otherwise

    def __init__(self, stream):
        self.stream = stream
        self.start = time.time()

    def __call__(self, done, total):
        elapsed = time.time() - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        bar = '#' * (30 * done // max(total, 1))
        self.stream.write('\r[{:<30}] {}/{} images, {:.1f} images/s'.format(
            bar, done, total, rate))
        if done == total:
            self.stream.write('\n')
        self.stream.flush()


def evaluate(args, log=sys.stdout):
    """Runs the evaluation of parsed arguments.

    Args:
        args (argparse.Namespace): see :func:`make_parser`.
        log (file): where rank 0 prints the table.

    Returns:
        dict: the JSON written (metrics, per-class IoU, protocol).

    Raises:
        OSError: if the JSON file cannot be written: checked before the
            evaluation; if the write still fails at the end (the directory
            removed meanwhile, the disk full), the metrics are printed
            first and the error names the file.

    """
    if args.runtime == 'onnxruntime' and args.gpu >= 0:
        raise ConfigError('--runtime onnxruntime runs on the CPU: drop '
                          '--gpu {}'.format(args.gpu))
    comm, device = create_communicator(args.communicator, args.gpu)
    args.comm = comm
    is_writer = comm is None or comm.rank == 0
    if args.n_images is not None and args.n_images < 1:
        raise ConfigError('--n-images must be >= 1, not {}'.format(
            args.n_images))
    if is_writer and args.json is not None:
        check_writable(args.json)
    model, config = load_trained_model(
        out=args.run, config=args.config, model=args.model, arch=args.arch,
        overrides=args.overrides)
    if args.thresholds < 1:
        raise ConfigError('--thresholds must be >= 1, not {}'.format(
            args.thresholds))
    task = config['task']
    split = args.split or config['dataset']['val_split']
    protocol = protocol_name(args.scales, args.flip, args.pad_to)
    path = _json_path(args, split, protocol)
    if is_writer and args.json is None:
        check_writable(path)
    dataset, label_names = build_dataset(config['dataset'], split,
                                         task=task)
    if task != 'segmentation':
        if model.n_class != 1:
            raise ConfigError(
                'the model predicts {} classes but the {} task needs one '
                'map (a model trained with task: {})'.format(
                    model.n_class, task, task))
    elif len(label_names) != model.n_class:
        raise ConfigError(
            'the model predicts {} classes but the {} data set has {} ({}); '
            'is it the data set the model was trained on?'.format(
                model.n_class, config['dataset']['name'], len(label_names),
                ', '.join(label_names[:5]) + (
                    ', ...' if len(label_names) > 5 else '')))
    if args.n_images is not None:
        dataset = chainer.datasets.SubDataset(
            dataset, 0, min(args.n_images, len(dataset)))
    if device >= 0:
        chainer.cuda.get_device_from_id(device).use()
        model.to_gpu()
    if args.runtime == 'onnxruntime':
        from sparsemask.export import OnnxRuntimeModel
        model = OnnxRuntimeModel(model)
    progress = None
    if is_writer and sys.stderr.isatty():
        progress = _Progress(sys.stderr)
    start = time.time()
    kwargs = dict(scales=args.scales, flip=args.flip, pad_to=args.pad_to,
                  comm=comm, progress=progress)
    if task == 'saliency':
        result = evaluate_saliency(model, dataset, **kwargs)
    elif task == 'edge':
        result = evaluate_edges(model, dataset, thresholds=args.thresholds,
                                nms=not args.no_nms, **kwargs)
    else:
        result = evaluate_segmentation(model, dataset, model.n_class,
                                       **kwargs)
    seconds = time.time() - start
    report = {
        'task': task,
        'split': split,
        'n_images': len(dataset),
        'protocol': protocol,
        'scales': list(args.scales),
        'flip': args.flip,
        'pad_to': None if args.pad_to is None else list(args.pad_to),
    }
    if task == 'segmentation':
        report.update({
            'miou': result['miou'],
            'pixel_accuracy': result['pixel_accuracy'],
            'mean_class_accuracy': result['mean_class_accuracy'],
            'iou': {name: _json_float(v)
                    for name, v in zip(label_names, result['iou'])},
            'class_accuracy': {name: _json_float(v) for name, v in
                               zip(label_names, result['class_accuracy'])},
            'confusion': result['confusion'].tolist(),
        })
    else:
        if task == 'edge':
            report.update(nms=not args.no_nms,
                          n_thresholds=args.thresholds)
        report.update({key: _json_value(value)
                       for key, value in result.items()})
    report.update({
        'model': os.path.abspath(args.model) if args.model else
        os.path.abspath(args.run),
        'dataset': config['dataset']['name'],
        'runtime': args.runtime,
        'processes': 1 if comm is None else comm.size,
        'seconds': seconds,
    })
    if is_writer:
        # the metrics first: they are not lost if the file cannot be written
        log.write('{} images of {} {} ({}), {:.1f} s{}\n'.format(
            len(dataset), config['dataset']['name'], split, protocol,
            seconds, ', ONNX Runtime' if args.runtime == 'onnxruntime'
            else ''))
        if task == 'segmentation':
            log.write(format_table(result, label_names) + '\n')
        else:
            log.write(format_binary_table(result, task) + '\n')
        log.flush()
        try:
            atomic_write_text(path, json.dumps(report, indent=1) + '\n')
        except OSError as e:
            if e.errno is None or not e.strerror:
                raise
            raise OSError(e.errno, 'the results (printed above) were not '
                          'written: {}'.format(e.strerror), path) from e
        log.write('results in {}\n'.format(path))
    return report


def _json_path(args, split, protocol):
    # --json, or eval_<split>_<protocol>.json beside the model
    if args.json is not None:
        return args.json
    where = args.run or os.path.dirname(os.path.abspath(args.model))
    runtime = '' if args.runtime == 'chainer' else '_' + args.runtime
    return os.path.join(where, 'eval_{}_{}{}.json'.format(
        split, protocol, runtime))


def _json_float(value):
    value = float(value)
    return None if value != value else value


def _json_value(value):
    # a metric, a curve or a count as JSON (NaN: null)
    if isinstance(value, (list, tuple)) or hasattr(value, 'tolist'):
        value = numpy.asarray(value).tolist()
        if isinstance(value, list):
            return [_json_value(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, numpy.integer)):
        return int(value)
    return _json_float(value)


def main(argv=None):
    args = make_parser().parse_intermixed_args(argv)
    args.comm = None
    debug = debug_requested(args.debug)
    try:
        return evaluate(args)
    except SystemExit:
        raise
    except BaseException as e:
        sys.exit(report_failure(e, debug=debug, comm=args.comm))


if __name__ == '__main__':
    main()
