"""The evaluation of a trained model on a split of its data set."""

import json
import os
import sys
import time

import chainer

from sparsemask.evaluations import evaluate_edges
from sparsemask.evaluations import evaluate_saliency
from sparsemask.evaluations import evaluate_segmentation
from sparsemask.evaluations.evaluation_report import evaluation_report
from sparsemask.evaluations.evaluation_tables import format_binary_table
from sparsemask.evaluations.evaluation_tables import format_table
from sparsemask.evaluations.progress_bar import ProgressBar
from sparsemask.evaluations.protocol_name import protocol_name
from sparsemask.training.build_dataset import build_dataset
from sparsemask.training.config import ConfigError
from sparsemask.training.load_trained_model import load_trained_model
from sparsemask.utils.atomic_write import atomic_write_text
from sparsemask.utils.check_writable import check_writable


def _json_path(json_path, run, model, split, protocol, runtime):
    # json_path, or eval_<split>_<protocol>[_<runtime>].json beside the model
    if json_path is not None:
        return json_path
    where = run or os.path.dirname(os.path.abspath(model))
    suffix = '' if runtime == 'chainer' else '_' + runtime
    return os.path.join(where, 'eval_{}_{}{}.json'.format(
        split, protocol, suffix))


def _check_model(model, task, config, label_names):
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


def evaluate_trained_model(run=None, config=None, model=None, arch=None,
                           overrides=(), split=None, scales=(1.0,),
                           flip=False, pad_to=None, thresholds=99, nms=True,
                           n_images=None, json_path=None, runtime='chainer',
                           comm=None, device=-1, log=None):
    """Evaluates a trained model with the metrics of its ``task``, prints
    them and writes them as JSON.

    Args:
        run (str): the ``--out`` directory of a training run (its config,
            weights and architecture), or None with ``config`` and
            ``model``.
        config, model, arch, overrides: the model and its data set (see
            :func:`~sparsemask.training.load_trained_model`).
        split (str): the split (default: the config's
            ``dataset.val_split``).
        scales (sequence of float): input scales.
        flip (bool): also average over the mirrored images.
        pad_to (tuple of int): pad each input to at least ``(H, W)`` with
            the mean pixel.
        thresholds (int): edge: the thresholds of the BSDS benchmark.
        nms (bool): edge: non-maximum suppression before the benchmark.
        n_images (int): evaluate the first images only.
        json_path (str): where to write the results (default:
            ``eval_<split>_<protocol>[_onnxruntime].json`` beside the
            model).
        runtime (str): ``'chainer'`` or ``'onnxruntime'`` (the model
            exported to ONNX, run on the CPU).
        comm: a ChainerMN communicator (each process evaluates every N-th
            image), or None.
        device (int): the GPU of this process, or -1.
        log (file): where rank 0 prints the table (default:
            ``sys.stdout``).

    Returns:
        dict: the JSON written (metrics, per-class IoU, protocol).

    Raises:
        ~sparsemask.training.ConfigError: a bad option, or a model that
            does not match the data set.
        OSError: if the JSON file cannot be written: checked before the
            evaluation; if the write still fails at the end (the directory
            removed meanwhile, the disk full), the metrics are printed
            first and the error names the file.

    """
    log = log or sys.stdout
    is_writer = comm is None or comm.rank == 0
    if n_images is not None and n_images < 1:
        raise ConfigError('--n-images must be >= 1, not {}'.format(
            n_images))
    if is_writer and json_path is not None:
        check_writable(json_path)
    net, config = load_trained_model(out=run, config=config, model=model,
                                     arch=arch, overrides=overrides)
    if thresholds < 1:
        raise ConfigError('--thresholds must be >= 1, not {}'.format(
            thresholds))
    task = config['task']
    split = split or config['dataset']['val_split']
    protocol = protocol_name(scales, flip, pad_to)
    path = _json_path(json_path, run, model, split, protocol, runtime)
    if is_writer and json_path is None:
        check_writable(path)
    dataset, label_names = build_dataset(config['dataset'], split,
                                         task=task)
    _check_model(net, task, config, label_names)
    if n_images is not None:
        dataset = chainer.datasets.SubDataset(
            dataset, 0, min(n_images, len(dataset)))
    if device >= 0:
        chainer.cuda.get_device_from_id(device).use()
        net.to_gpu()
    if runtime == 'onnxruntime':
        from sparsemask.export import OnnxRuntimeModel
        net = OnnxRuntimeModel(net)
    progress = None
    if is_writer and sys.stderr.isatty():
        progress = ProgressBar(sys.stderr)
    start = time.time()
    kwargs = dict(scales=scales, flip=flip, pad_to=pad_to, comm=comm,
                  progress=progress)
    if task == 'saliency':
        result = evaluate_saliency(net, dataset, **kwargs)
    elif task == 'edge':
        result = evaluate_edges(net, dataset, thresholds=thresholds,
                                nms=nms, **kwargs)
    else:
        result = evaluate_segmentation(net, dataset, net.n_class, **kwargs)
    seconds = time.time() - start
    report = {
        'task': task,
        'split': split,
        'n_images': len(dataset),
        'protocol': protocol,
        'scales': list(scales),
        'flip': flip,
        'pad_to': None if pad_to is None else list(pad_to),
    }
    report.update(evaluation_report(result, task, label_names, nms=nms,
                                    n_thresholds=thresholds))
    report.update({
        'model': os.path.abspath(model) if model else os.path.abspath(run),
        'dataset': config['dataset']['name'],
        'runtime': runtime,
        'processes': 1 if comm is None else comm.size,
        'seconds': seconds,
    })
    if is_writer:
        # the metrics first: they are not lost if the file cannot be written
        log.write('{} images of {} {} ({}), {:.1f} s{}\n'.format(
            len(dataset), config['dataset']['name'], split, protocol,
            seconds, ', ONNX Runtime' if runtime == 'onnxruntime' else ''))
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
