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

- ``ours``: this project's functions: the fused FDN stage, depthwise and
  1x1 convolutions without im2col, bilinear resizing as two matmuls;
- ``stock``: what a user would write with Chainer's own functions:
  grouped convolution after ``F.pad``, ``F.resize_images``, the unfused
  decoder (``model.fused=false`` under
  ``chainer.using_config('stock_functions', True)``);
- ``onnxruntime``: ours exported to ONNX (in memory) and run by ONNX
  Runtime on the CPU with ``--threads`` threads (inference only; skipped
  on a GPU, without the ``onnx`` extra or with ``--no-onnxruntime``).
  Run the script with ``OPENBLAS_NUM_THREADS`` equal to ``--threads`` for
  a fair comparison (the default of ``--threads`` follows it).

It reports:

1. Parameters as encoder+decoder in the paper's format (Table 1,
   ``2.22+0.56M``). They are counted as the paper counts them: its FCN
   baseline has 2.22+0.03M, and 0.03M is the 21-class 1x1 classifier on
   1280 channels (26,901 parameters), so the decoder includes the head
   (``model.decoder`` + ``model.head``); the encoder is ``model.backbone``
   without the parameters its forward pass never uses: MobileNetV2 keeps its
   ImageNet classifier ``logits_conv`` (1,282,281 parameters) only so that
   ImageNet weights load, and 2.22M is MobileNetV2 without it. Batch
   normalisation scales and shifts count, running statistics do not.
   MobileNetV2 width 1.0, 21 classes and the paper's architecture give
   2,223,872 + 560,981 = ``2.22+0.56M``, the paper's figures.
2. Test-phase images/s at ``--size`` (512x512, the paper's FPS setting)
   for each ``--batch``: the median of ``--repeat`` timed forward passes
   after warm-up, under ``chainer.using_config('train', False)`` and
   ``chainer.no_backprop_mode()`` (the device is synchronised before the
   clock is read), and the ratios ours/stock and ours/onnxruntime.
3. For each ``--train-crop`` and ``--train-batch``, one training step
   (forward, softmax cross entropy, backward, with the gradients cleared
   first as the optimizer does): its median time over ``--train-repeat``
   steps, and its memory. On the CPU, the memory is the peak of the
   allocations traced by :mod:`tracemalloc` during the step (NumPy
   reports its allocations to it) above the baseline before it. It is
   split into parameters(+gradients): the parameters, allocated before the
   step, and the gradients the step leaves behind; and activations: the
   traced peak minus those gradients, i.e. the features kept for the
   backward pass, their gradients and workspace. The input batch is
   reported apart. On a GPU (``--gpu N``), the peak of CuPy's memory pool
   during the step (a memory hook; this path is not covered by the CPU
   tests).
4. The test-phase outputs of the variants on one input must agree to
   1e-4 (relative to the largest logit when it is above 1).

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
import datetime
import gc
import json
import os
import platform
import sys

import numpy

import chainer
import chainer.functions as F

from sparsemask.cuda import require_gpu
from sparsemask.training import build_model
from sparsemask.training import ConfigError
from sparsemask.training import load_config
from sparsemask.training import load_trained_model
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.utils import atomic_write_text
from sparsemask.utils.benchmark import device_name
from sparsemask.utils.benchmark import median_times
from sparsemask.utils.benchmark import peak_memory

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: the paper's protocol (decoder depth 64); the demo config halves it
DEFAULT_CONFIG = os.path.join(ROOT, 'configs', 'voc_mobilenetv2_retrain.yaml')
#: the architecture SparseMask found for MobileNetV2 on VOC (paper Fig. 3)
PAPER_ARCH = os.path.join(ROOT, 'configs', 'arch',
                          'sparsemask_mobilenetv2_voc.yaml')
#: the variants' test-phase outputs must agree this closely
TOLERANCE = 1e-4
#: the Chainer variants (see :func:`variant_config`)
VARIANTS = ('ours', 'stock')
#: what --quick changes (unless the option is given)
QUICK = {'size': '64', 'batch': [1, 2], 'repeat': 1, 'warmup': 1,
         'train_batch': [2], 'train_crop': ['64'], 'train_repeat': 1}
NORMAL = {'size': '512x512', 'batch': [1, 8], 'repeat': 5, 'warmup': 1,
          'train_batch': [2, 8], 'train_crop': ['321', '513'],
          'train_repeat': 3}
MB = 2 ** 20


def parse_size(text, option='--size'):
    """Parses ``H`` or ``HxW``.

    Args:
        text (str): the value.
        option (str): the option, for the error message.

    Returns:
        tuple: ``(H, W)``.

    """
    parts = str(text).lower().split('x')
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        size = ()
    if len(size) == 1:
        size = size * 2
    if len(size) != 2 or min(size) < 1:
        raise ConfigError('{} {!r}: expected H or HxW, positive '
                          'integers'.format(option, text))
    return size


def paper_format(encoder, decoder):
    """Formats parameter counts as the paper does: ``2.22+0.56M``.

    Args:
        encoder (int): encoder parameters.
        decoder (int): decoder parameters.

    Returns:
        str: millions with two decimals, ``<encoder>+<decoder>M``.

    """
    return '{:.2f}+{:.2f}M'.format(encoder / 1e6, decoder / 1e6)


def unused_parameters(model, size=(64, 64)):
    """Finds the parameters a forward pass never reaches.

    A small batch goes forward and backward (test mode, nothing is
    updated); the parameters left without a gradient are unused (for
    MobileNetV2, the ImageNet classifier ``logits_conv``).

    Args:
        model (~sparsemask.links.SparseMask): the model, on the CPU.
        size (tuple of int): the probe's input size.

    Returns:
        list of str: the unused parameters' names.

    """
    x = numpy.zeros((1, 3) + tuple(size), numpy.float32)
    model.cleargrads()
    with chainer.using_config('train', False):
        F.sum(model(x)).backward()
    unused = [name for name, p in model.namedparams() if p.grad is None]
    model.cleargrads()
    return unused


def count_parameters(model, unused=None):
    """Counts parameters as encoder+decoder, as the paper does.

    Args:
        model (~sparsemask.links.SparseMask): the model.
        unused (sequence of str): names of parameters the forward pass
            never uses (:func:`unused_parameters` by default); those of the
            encoder are not counted.

    Returns:
        dict: ``encoder`` (backbone minus unused), ``encoder_unused``,
        ``decoder`` (FDN decoder + head), ``decoder_stages``, ``head``,
        ``total`` (every parameter of the model, unused included) and
        ``paper_format``.

    """
    if unused is None:
        unused = unused_parameters(model)
    unused = set(unused)
    backbone = sum(p.size for p in model.backbone.params())
    encoder_unused = sum(p.size for name, p in model.namedparams()
                         if name in unused and name.startswith('/backbone/'))
    stages = sum(p.size for p in model.decoder.params())
    head = sum(p.size for p in model.head.params())
    counts = {
        'encoder': int(backbone - encoder_unused),
        'encoder_unused': int(encoder_unused),
        'decoder': int(stages + head),
        'decoder_stages': int(stages),
        'head': int(head),
        'total': int(sum(p.size for p in model.params())),
    }
    counts['paper_format'] = paper_format(counts['encoder'],
                                          counts['decoder'])
    return counts


def variant_config(name):
    """The configuration a variant runs under.

    Args:
        name (str): ``'ours'`` (our depthwise and pointwise convolutions
            and resizing, the fused FDN stage) or ``'stock'`` (Chainer's
            own functions: grouped convolution after ``F.pad``,
            ``F.resize_images``, the unfused decoder), or
            ``'onnxruntime'``.

    Returns:
        context manager: ``chainer.using_config('stock_functions', ...)``.

    """
    return chainer.using_config('stock_functions', name == 'stock')


def _forward_test(model, x, name='ours'):
    with chainer.using_config('train', False), chainer.no_backprop_mode(), \
            variant_config(name):
        return model(x)


def compare_outputs(models, size, xp, seed=0):
    """Checks that the variants compute the same logits.

    Args:
        models (dict): ``'ours'`` and ``'stock'`` (and ``'onnxruntime'``)
            -> model (same weights).
        size (tuple of int): the input size (batch 1).
        xp (module): ``numpy`` or ``cupy``.
        seed (int): seed of the random input.

    Returns:
        dict: ``max_abs_diff`` (ours against stock), ``max_abs_logit``,
        ``tolerance``, ``agree`` (the difference is at most ``tolerance``
        times ``max(1, max_abs_logit)``) and, with ONNX Runtime,
        ``onnxruntime_max_abs_diff`` (against ours, included in
        ``agree``).

    """
    rng = numpy.random.RandomState(seed)
    x = rng.randn(1, 3, *size).astype(numpy.float32)
    ys = {}
    for name, model in models.items():
        xs = x if name == 'onnxruntime' else xp.asarray(x)
        ys[name] = chainer.backends.cuda.to_cpu(
            _forward_test(model, xs, name).array).astype(numpy.float64)
    diff = float(numpy.max(numpy.abs(ys['ours'] - ys['stock'])))
    scale = float(numpy.max(numpy.abs(ys['stock'])))
    bound = TOLERANCE * max(1.0, scale)
    result = {'max_abs_diff': diff, 'max_abs_logit': scale,
              'tolerance': TOLERANCE, 'agree': bool(diff <= bound)}
    if 'onnxruntime' in ys:
        ort = float(numpy.max(numpy.abs(ys['onnxruntime'] - ys['ours'])))
        result['onnxruntime_max_abs_diff'] = ort
        result['agree'] = bool(result['agree'] and ort <= bound)
    return result


def throughput(models, batch, size, xp, repeat, warmup, seed=0):
    """Measures test-phase images/s of each model at one batch size.

    Args:
        models (dict): variant name -> model (see :func:`variant_config`).
        batch (int): images per forward pass.
        size (tuple of int): ``(H, W)``.
        xp (module): ``numpy`` or ``cupy``.
        repeat (int): timed runs (the median is kept).
        warmup (int): untimed runs first.
        seed (int): seed of the random input.

    Returns:
        dict: ``batch`` and, per model, ``median_s``, ``times_s`` and
        ``images_per_s``.

    """
    rng = numpy.random.RandomState(seed)
    x = rng.randn(batch, 3, *size).astype(numpy.float32)
    fns = {}
    for name, m in models.items():
        xs = x if name == 'onnxruntime' else xp.asarray(x)
        fns[name] = (lambda m=m, xs=xs, name=name: _forward_test(m, xs, name))
    times = median_times(fns, xp, repeat=repeat, warmup=warmup)
    row = {'batch': batch}
    for name, (median, ts) in times.items():
        row[name] = {'median_s': median, 'times_s': ts,
                     'images_per_s': batch / median}
    return row


def _batch(batch, crop, n_class, xp, seed):
    rng = numpy.random.RandomState(seed)
    x = xp.asarray(rng.randn(batch, 3, *crop).astype(numpy.float32))
    t = xp.asarray(rng.randint(0, n_class, (batch,) + crop)
                   .astype(numpy.int32))
    return x, t


def _train_step(model, x, t, name):
    def step():
        model.cleargrads()
        with chainer.using_config('train', True), variant_config(name):
            loss = F.softmax_cross_entropy(model(x), t)
            loss.backward()
    return step


def train_memory(model, batch, crop, n_class, xp, seed=0, name='ours'):
    """Measures the memory of one training step.

    The step is what the trainer does: clear the gradients, forward in
    training mode, softmax cross entropy, backward. See the module's
    docstring for how the peak is split.

    Args:
        model (~sparsemask.links.SparseMask): the model (its batch
            normalisation statistics are updated by the step).
        batch (int): images.
        crop (int or tuple of int): the crop size.
        n_class (int): the number of classes of the labels.
        xp (module): ``numpy`` or ``cupy``.
        seed (int): seed of the random batch.
        name (str): the variant (:func:`variant_config`).

    Returns:
        dict: in bytes, ``parameter_bytes`` (every parameter, allocated
        before the step), ``gradient_bytes`` (left by the step),
        ``activation_bytes`` (peak minus gradients), ``peak_step_bytes``
        (the peak above the baseline), ``input_bytes`` (images and
        labels, allocated before the step), ``parameters_and_gradients``
        and ``total_bytes`` (parameters + input + step peak).

    """
    if isinstance(crop, int):
        crop = (crop, crop)
    crop = tuple(crop)
    x, t = _batch(batch, crop, n_class, xp, seed)
    gc.collect()
    peak, retained = peak_memory(_train_step(model, x, t, name), xp)
    params = sum(p.array.nbytes for p in model.params())
    grads = sum(p.grad.nbytes for p in model.params() if p.grad is not None)
    model.cleargrads()
    result = {
        'batch': batch, 'crop': list(crop),
        'parameter_bytes': int(params),
        'gradient_bytes': int(grads),
        'activation_bytes': int(peak - grads),
        'peak_step_bytes': int(peak),
        'retained_step_bytes': int(retained),
        'input_bytes': int(x.nbytes + t.nbytes),
    }
    result['parameters_and_gradients'] = int(params + grads)
    result['total_bytes'] = int(params + x.nbytes + t.nbytes + peak)
    return result


def train_time(models, batch, crop, n_class, xp, repeat, warmup, seed=0):
    """Times one training step of each variant (median, interleaved).

    Args:
        models (dict): variant name -> Chainer model.
        batch (int): images.
        crop (tuple of int): the crop size.
        n_class (int): the number of classes of the labels.
        xp (module): ``numpy`` or ``cupy``.
        repeat (int): timed steps (the median is kept).
        warmup (int): untimed steps first.
        seed (int): seed of the random batch.

    Returns:
        dict: per variant ``median_s`` and ``times_s``.

    """
    x, t = _batch(batch, tuple(crop), n_class, xp, seed)
    fns = {name: _train_step(m, x, t, name) for name, m in models.items()}
    times = median_times(fns, xp, repeat=repeat, warmup=warmup)
    for m in models.values():
        m.cleargrads()
    return {name: {'median_s': median, 'times_s': ts}
            for name, (median, ts) in times.items()}


def _model_variants(args):
    """Builds our model (fused stages) and the stock one (unfused) with
    the same weights."""
    if args.run is not None:
        if args.search:
            raise ConfigError('--search: the model of --run is a search '
                              'model or not according to its weights; drop '
                              '--search')
        model, config = load_trained_model(out=args.run, arch=args.arch,
                                           overrides=args.overrides)
        mode = 'search' if model.search else 'retrain'
        if args.n_class is not None and args.n_class != model.n_class:
            raise ConfigError('--n-class {}: the model of {} has {} '
                              'classes'.format(args.n_class, args.run,
                                               model.n_class))
        n_class = model.n_class
        fused_value = config['model']['fused']
        models = {'ours' if fused_value else 'stock': model}
    else:
        if args.config is not None and not os.path.isfile(args.config):
            raise ConfigError('--config {} does not exist'.format(
                args.config))
        mode = 'search' if args.search else 'retrain'
        pre = ['model.pretrained_model=null']
        if mode == 'search':
            if args.arch is not None:
                raise ConfigError('--arch: the search model is the full FDN '
                                  'with connection weights; drop --arch')
        else:
            arch = args.arch or PAPER_ARCH
            pre.append('model.arch={}'.format(arch))
            if args.arch is None:
                pre.append('model.arch_backbone=mobilenetv2')
        config = load_config(args.config, pre + list(args.overrides))
        n_class = 21 if args.n_class is None else args.n_class
        if n_class < 1:
            raise ConfigError('--n-class {}: expected a positive '
                              'integer'.format(n_class))
        models = {}
    for name in VARIANTS:
        if name not in models:
            model_config = dict(config['model'], fused=name == 'ours')
            models[name] = build_model(model_config, mode, n_class)
    # the stock model gets ours' weights (and BN statistics), or, from
    # --run, the trained model's
    source = models['ours'] if args.run is None else models[
        'ours' if config['model']['fused'] else 'stock']
    for name in VARIANTS:
        if models[name] is not source:
            models[name].copyparams(source)
    return models, config, mode, n_class


def onnx_runtime_available():
    """Whether ONNX Runtime and onnx can be imported (the ``onnx``
    extra)."""
    try:
        import onnx  # NOQA
        import onnxruntime  # NOQA
    except ImportError:
        return False
    return True


def default_threads():
    """ONNX Runtime's threads: ``OPENBLAS_NUM_THREADS`` (the threads
    Chainer's NumPy uses) when set, else one per core."""
    try:
        return max(1, int(os.environ['OPENBLAS_NUM_THREADS']))
    except (KeyError, ValueError):
        return os.cpu_count() or 1


def _check_options(args):
    for name in ('repeat', 'train_repeat', 'threads'):
        value = getattr(args, name)
        if value < 1:
            raise ConfigError('--{} {}: expected a positive integer'.format(
                name.replace('_', '-'), value))
    if not args.train_batch or min(args.train_batch) < 1:
        raise ConfigError('--train-batch {}: expected positive '
                          'integers'.format(' '.join(
                              str(b) for b in args.train_batch)))
    if args.warmup < 0:
        raise ConfigError('--warmup {}: expected 0 or more'.format(
            args.warmup))
    if not args.batch or min(args.batch) < 1:
        raise ConfigError('--batch {}: expected positive integers'.format(
            ' '.join(str(b) for b in args.batch)))


def _device(gpu):
    if gpu < 0:
        return None, numpy
    require_gpu(gpu)
    device = chainer.get_device('@cupy:{}'.format(gpu))
    device.use()
    return device, device.xp


def run_benchmark(args):
    """Runs the benchmark for parsed arguments.

    Args:
        args (argparse.Namespace): see :func:`make_parser`.

    Returns:
        dict: the result written to the JSON file.

    """
    defaults = QUICK if args.quick else NORMAL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.threads is None:
        args.threads = default_threads()
    _check_options(args)
    size = parse_size(args.size)
    for crop in args.train_crop:
        parse_size(crop, '--train-crop')
    args.runtime_onnx = args.gpu < 0 and not args.no_onnxruntime and \
        onnx_runtime_available()
    device, xp = _device(args.gpu)
    models, config, mode, n_class = _model_variants(args)
    model = models['ours']
    params = count_parameters(model)
    if device is not None:
        for m in models.values():
            m.to_device(device)
    mc = config['model']
    result = {
        'device': device_name(args.gpu),
        'gpu': args.gpu,
        'argv': list(sys.argv[1:]) if args.argv is None else args.argv,
        'time': datetime.datetime.now().isoformat(timespec='seconds'),
        'versions': {'python': platform.python_version(),
                     'chainer': chainer.__version__,
                     'numpy': numpy.__version__},
        'load_average_start': list(os.getloadavg()),
        'config': args.config if args.run is None else os.path.join(
            args.run, 'config.yaml'),
        'run': args.run,
        'overrides': list(args.overrides),
        'mode': mode,
        'backbone': mc['backbone'],
        'width_multiplier': mc['width_multiplier'],
        'decoder_channels': mc['channels'],
        'arch': 'full FDN (search)' if mode == 'search' else mc['arch'],
        'n_connections': None if model.connectivity is None
        else model.connectivity.n_connections,
        'n_class': n_class,
        'parameters': params,
        'size': list(size),
        'repeat': args.repeat,
        'train_repeat': args.train_repeat,
        'warmup': args.warmup,
        'blas_threads': os.environ.get('OPENBLAS_NUM_THREADS'),
    }
    chainer_models = dict(models)
    if args.runtime_onnx:
        from sparsemask.export import OnnxRuntimeModel
        models['onnxruntime'] = OnnxRuntimeModel(
            model, threads=args.threads)
    result['onnxruntime'] = bool(args.runtime_onnx)
    result['threads'] = args.threads
    _progress(args, 'checking the outputs of {} at {}x{}'.format(
        ', '.join(models), *size))
    result['outputs'] = compare_outputs(models, size, xp)
    result['throughput'] = []
    for batch in args.batch:
        _progress(args, 'timing batch {} at {}x{} ({} repeats)'.format(
            batch, size[0], size[1], args.repeat))
        row = throughput(models, batch, size, xp, args.repeat, args.warmup)
        row['ours_over_stock'] = (row['ours']['images_per_s']
                                  / row['stock']['images_per_s'])
        if 'onnxruntime' in row:
            row['ours_over_onnxruntime'] = (
                row['ours']['images_per_s']
                / row['onnxruntime']['images_per_s'])
        result['throughput'].append(row)
    result['train'] = []
    for crop in args.train_crop:
        crop = parse_size(crop, '--train-crop')
        for batch in args.train_batch:
            _progress(args, 'training step, batch {} at {}x{}: time ({} '
                      'repeats) and memory'.format(batch, crop[0], crop[1],
                                                   args.train_repeat))
            row = {'batch': batch, 'crop': list(crop)}
            times = train_time(chainer_models, batch, crop, n_class, xp,
                               args.train_repeat, args.warmup)
            for name in VARIANTS:
                row[name] = {'time': times[name],
                             'memory': train_memory(
                                 chainer_models[name], batch, crop, n_class,
                                 xp, name=name)}
            row['stock_over_ours_time'] = (times['stock']['median_s']
                                           / times['ours']['median_s'])
            row['ours_over_stock_memory'] = {
                key: row['ours']['memory'][key] / row['stock']['memory'][key]
                for key in ('total_bytes', 'activation_bytes')}
            result['train'].append(row)
    result['memory_method'] = ('cupy memory pool peak' if args.gpu >= 0
                               else 'tracemalloc peak')
    result['load_average_end'] = list(os.getloadavg())
    return result


def _progress(args, text):
    if not args.quiet:
        print(text, flush=True)


def _short(path):
    # a path inside the repository relative to it
    if os.path.isabs(path) and path.startswith(ROOT + os.sep):
        return os.path.relpath(path, ROOT)
    return path


def format_report(result):
    """Formats a result as a table.

    Args:
        result (dict): what :func:`run_benchmark` returns.

    Returns:
        str: the table.

    """
    p = result['parameters']
    lines = [
        'SparseMask {} model: {} (width {}), decoder {} ({}, '
        'depth {}), {} classes'.format(
            result['mode'], result['backbone'], result['width_multiplier'],
            _short(result['arch']),
            'no FDN' if result['n_connections'] is None else
            '{} connections'.format(result['n_connections']),
            result['decoder_channels'], result['n_class']),
        'device: {}; median of {} repeats ({} for training steps) after '
        '{} warm-up; OPENBLAS_NUM_THREADS={}, ONNX Runtime threads {}'.format(
            result['device'], result['repeat'], result['train_repeat'],
            result['warmup'], result['blas_threads'], result['threads']),
        'parameters: {} (encoder {:,} + decoder {:,} = stages {:,} + head '
        '{:,}; unused encoder parameters not counted: {:,})'.format(
            p['paper_format'], p['encoder'], p['decoder'],
            p['decoder_stages'], p['head'], p['encoder_unused']),
        '',
    ]
    ort = result['onnxruntime']
    header = '{:<34} {:>12} {:>12} {:>10}'.format('', 'ours', 'stock',
                                                   'ours/stock')
    if ort:
        header += ' {:>12} {:>10}'.format('onnxruntime', 'ours/ort')
    lines.append(header)
    h, w = result['size']
    for row in result['throughput']:
        line = '{:<34} {:>12.3f} {:>12.3f} {:>9.2f}x'.format(
            'test images/s {}x{} batch {}'.format(h, w, row['batch']),
            row['ours']['images_per_s'], row['stock']['images_per_s'],
            row['ours_over_stock'])
        if ort:
            line += ' {:>12.3f} {:>9.2f}x'.format(
                row['onnxruntime']['images_per_s'],
                row['ours_over_onnxruntime'])
        lines.append(line)
    for row in result['train']:
        lines.append('training step, batch {} crop {}x{} ({}):'.format(
            row['batch'], row['crop'][0], row['crop'][1],
            result['memory_method']))
        o, st = row['ours'], row['stock']
        lines.append('{:<34} {:>10.3f} s {:>10.3f} s {:>9.2f}x'.format(
            '  time (stock/ours: speed-up)', o['time']['median_s'],
            st['time']['median_s'], row['stock_over_ours_time']))
        for label, key in (('params+grads', 'parameters_and_gradients'),
                           ('activations', 'activation_bytes'),
                           ('total (with input)', 'total_bytes')):
            a, b = o['memory'][key], st['memory'][key]
            lines.append('{:<34} {:>9.1f} MB {:>9.1f} MB {:>9.2f}x'.format(
                '  ' + label, a / MB, b / MB, a / b))
    o = result['outputs']
    lines.append('')
    text = 'outputs: max |ours - stock| = {:.3g}'.format(o['max_abs_diff'])
    if 'onnxruntime_max_abs_diff' in o:
        text += ', max |onnxruntime - ours| = {:.3g}'.format(
            o['onnxruntime_max_abs_diff'])
    lines.append(text + ' (largest logit {:.3g}, tolerance {:g}): {}'.format(
        o['max_abs_logit'], o['tolerance'],
        'agree' if o['agree'] else 'DISAGREE'))
    lines.append('load average: {} at the start, {} at the end'.format(
        ' '.join('{:.2f}'.format(v) for v in result['load_average_start']),
        ' '.join('{:.2f}'.format(v) for v in result['load_average_end'])))
    return '\n'.join(lines)


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
        print(format_report(result))
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
