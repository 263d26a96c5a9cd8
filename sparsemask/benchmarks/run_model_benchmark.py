"""Benchmark of a SparseMask model: parameters, test-phase speed, training
step time and memory, ours against stock Chainer and ONNX Runtime.

Three variants run the same weights in the same process, taking turns:

- ``ours``: this project's functions: the fused FDN stage, depthwise and
  1x1 convolutions without im2col, bilinear resizing as two matmuls;
- ``stock``: what a user would write with Chainer's own functions:
  grouped convolution after ``F.pad``, ``F.resize_images``, the unfused
  decoder (``model.fused=false`` under
  ``chainer.using_config('stock_functions', True)``);
- ``onnxruntime``: ours exported to ONNX (in memory) and run by ONNX
  Runtime on the CPU (inference only; skipped on a GPU or without the
  ``onnx`` extra).

It measures:

1. Parameters as encoder+decoder in the paper's format (Table 1,
   ``2.22+0.56M``; see :mod:`sparsemask.benchmarks.count_parameters`).
2. Test-phase images/s for each batch size: the median of the timed
   forward passes after warm-up, under ``chainer.using_config('train',
   False)`` and ``chainer.no_backprop_mode()`` (the device is synchronised
   before the clock is read), and the ratios ours/stock and
   ours/onnxruntime.
3. For each training crop and batch, one training step: its median time
   and its memory (see :mod:`sparsemask.benchmarks.train_step`).
4. The test-phase outputs of the variants on one input must agree to
   1e-4 (relative to the largest logit when it is above 1).
"""

import contextlib
import datetime
import os
import platform

import numpy

import chainer

from sparsemask.benchmarks.compare_outputs import compare_outputs
from sparsemask.benchmarks.count_parameters import count_parameters
from sparsemask.benchmarks.device_name import device_name
from sparsemask.benchmarks.model_variants import model_variants
from sparsemask.benchmarks.onnx_runtime_available import default_threads
from sparsemask.benchmarks.onnx_runtime_process import OnnxRuntimeProcess
from sparsemask.benchmarks.onnx_runtime_available import \
    onnx_runtime_available
from sparsemask.benchmarks.throughput import throughput
from sparsemask.benchmarks.train_step import train_memory
from sparsemask.benchmarks.train_step import train_time
from sparsemask.benchmarks.variant_config import VARIANTS
from sparsemask.cuda import require_gpu
from sparsemask.utils.reuse_freed_memory import reuse_freed_memory
from sparsemask.utils.reuse_freed_memory import reusing_freed_memory


def _device(gpu):
    if gpu < 0:
        return None, numpy
    require_gpu(gpu)
    device = chainer.get_device('@cupy:{}'.format(gpu))
    device.use()
    return device, device.xp


def run_model_benchmark(config=None, overrides=(), run=None, arch=None,
                        search=False, n_class=None, default_arch=None,
                        gpu=-1, size=(512, 512), batches=(1, 8), repeat=5,
                        warmup=1, train_batches=(2, 8),
                        train_crops=((321, 321), (513, 513)),
                        train_repeat=3, threads=None, onnxruntime=True,
                        reuse_memory=True, onnxruntime_process=True,
                        argv=(), progress=None):
    """Runs the benchmark of a model.

    Args:
        config, overrides, run, arch, search, n_class, default_arch: the
            model (see :func:`~sparsemask.benchmarks.model_variants`).
        gpu (int): GPU id, or -1 for the CPU.
        size (tuple of int): the test input ``(H, W)``.
        batches (sequence of int): test batch sizes.
        repeat (int): timed test runs (the median is reported).
        warmup (int): untimed runs first.
        train_batches (sequence of int): training steps' batch sizes.
        train_crops (sequence of tuple): training steps' crops ``(H, W)``.
        train_repeat (int): timed training steps.
        threads (int): ONNX Runtime's threads (default:
            :func:`~sparsemask.benchmarks.default_threads`).
        onnxruntime (bool): run ours exported to ONNX in ONNX Runtime (on
            the CPU, when the ``onnx`` extra is installed).
        reuse_memory (bool): call
            :func:`~sparsemask.utils.reuse_freed_memory` first, as the
            training and evaluation scripts do (it cannot be undone in the
            process; the result records whether it is in effect).
        onnxruntime_process (bool): run ONNX Runtime in a child process
            of its own (:class:`OnnxRuntimeProcess`), else in this one
            (:class:`~sparsemask.export.OnnxRuntimeModel`), where it and
            our model slow each other down.
        argv (list of str): the command line, recorded.
        progress (callable): called with a line of text before each
            measurement (None: silent).

    Returns:
        dict: the result (what ``eval/bench_model.py`` writes as JSON):
        the model, the device and versions, ``parameters``, ``outputs``,
        ``throughput`` (a row per batch) and ``train`` (a row per crop and
        batch).

    Raises:
        ~sparsemask.training.ConfigError: a bad option, config or run.
        ~sparsemask.cuda.GPUUnavailableError: no usable GPU ``gpu``.

    """
    progress = progress or (lambda text: None)
    if reuse_memory:
        reuse_freed_memory()
    if threads is None:
        threads = default_threads()
    size = tuple(size)
    runtime_onnx = gpu < 0 and onnxruntime and onnx_runtime_available()
    device, xp = _device(gpu)
    models, config_dict, mode, n_class = model_variants(
        config, overrides, run=run, arch=arch, search=search,
        n_class=n_class, default_arch=default_arch)
    model = models['ours']
    params = count_parameters(model)
    if device is not None:
        for m in models.values():
            m.to_device(device)
    mc = config_dict['model']
    result = {
        'device': device_name(gpu),
        'gpu': gpu,
        'argv': list(argv),
        'time': datetime.datetime.now().isoformat(timespec='seconds'),
        'versions': {'python': platform.python_version(),
                     'chainer': chainer.__version__,
                     'numpy': numpy.__version__},
        'load_average_start': list(os.getloadavg()),
        'config': config if run is None else os.path.join(
            run, 'config.yaml'),
        'run': run,
        'overrides': list(overrides),
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
        'repeat': repeat,
        'train_repeat': train_repeat,
        'warmup': warmup,
        'blas_threads': os.environ.get('OPENBLAS_NUM_THREADS'),
        'reuse_freed_memory': reusing_freed_memory(),
    }
    chainer_models = dict(models)
    with contextlib.ExitStack() as stack:
        if runtime_onnx and onnxruntime_process:
            models['onnxruntime'] = stack.enter_context(
                OnnxRuntimeProcess(model, threads=threads))
        elif runtime_onnx:
            from sparsemask.export import OnnxRuntimeModel
            models['onnxruntime'] = OnnxRuntimeModel(model, threads=threads)
        result['onnxruntime'] = bool(runtime_onnx)
        result['onnxruntime_process'] = bool(runtime_onnx
                                             and onnxruntime_process)
        result['threads'] = threads
        progress('checking the outputs of {} at {}x{}'.format(
            ', '.join(models), *size))
        result['outputs'] = compare_outputs(models, size, xp)
        result['throughput'] = []
        for batch in batches:
            progress('timing batch {} at {}x{} ({} repeats)'.format(
                batch, size[0], size[1], repeat))
            row = throughput(models, batch, size, xp, repeat, warmup)
            row['ours_over_stock'] = (row['ours']['images_per_s']
                                      / row['stock']['images_per_s'])
            if 'onnxruntime' in row:
                row['ours_over_onnxruntime'] = (
                    row['ours']['images_per_s']
                    / row['onnxruntime']['images_per_s'])
            result['throughput'].append(row)
    # the training steps: Chainer's variants only
    result['train'] = []
    for crop in train_crops:
        crop = tuple(crop)
        for batch in train_batches:
            progress('training step, batch {} at {}x{}: time ({} '
                     'repeats) and memory'.format(batch, crop[0], crop[1],
                                                  train_repeat))
            row = {'batch': batch, 'crop': list(crop)}
            times = train_time(chainer_models, batch, crop, n_class, xp,
                               train_repeat, warmup)
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
    result['memory_method'] = ('cupy memory pool peak' if gpu >= 0
                               else 'tracemalloc peak')
    result['load_average_end'] = list(os.getloadavg())
    return result
