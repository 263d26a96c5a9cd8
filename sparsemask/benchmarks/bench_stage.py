"""The fused FDN stage against the stock-function stage.

For decoder stages of the MobileNetV2 Fully Dense Network at a 513x513
input: the forward and the forward+backward time (median of repeats) and
the peak memory of the fused op (``FDNStage(fused=True)``) and of the
unfused stage (``fused=False`` under ``chainer.config.stock_functions``:
L.Convolution2D 1x1, L.BatchNormalization, F.resize_images, scale, sum)
in the same run, in the search's form of the stage (connection weights
and per-connection BN) or the retraining's (neither). On a GPU, also the
time of the CUDA kernels alone and their achieved bandwidth
(:func:`~sparsemask.benchmarks.kernel_bandwidth`).

Stage 1 reads all 18 inputs (strides 2 and coarser, output stride 2);
stage 6 is a coarse stage (output stride 16, 8 inputs).
"""

import numpy

import chainer

from sparsemask.benchmarks.kernel_bandwidth import kernel_bandwidth
from sparsemask.benchmarks.median_times import median_time
from sparsemask.benchmarks.peak_memory import peak_memory
from sparsemask.benchmarks.stage_inputs import DECODER
from sparsemask.benchmarks.stage_inputs import MODES
from sparsemask.benchmarks.stage_inputs import SIZES
from sparsemask.benchmarks.stage_inputs import stage_inputs
from sparsemask.links import FDNStage


def _peak_bytes(fn, xp):
    peak, _ = peak_memory(fn, xp)
    return peak


def bench_stage(l, batch, xp, repeat, rng, mode='search'):
    """Times the fused and the unfused stage and measures their memory.

    Args:
        l (int): the stage, 1 to 9.
        batch (int): the batch size.
        xp (module): ``numpy`` or ``cupy``.
        repeat (int): timed repeats (the median is reported).
        rng (numpy.random.RandomState): the random generator of the
            inputs.
        mode (str): ``'search'`` or ``'retrain'`` (see
            :data:`~sparsemask.benchmarks.stage_inputs.MODES`).

    Returns:
        dict: ``stage``, ``mode``, ``inputs``, ``output``, ``batch``,
        per ``fused``/``unfused`` the ``_forward_s``,
        ``_forward_backward_s`` and ``_peak_bytes``, the ratios
        ``forward_speedup``, ``forward_backward_speedup`` and
        ``peak_memory_ratio``, ``kernel_min_bytes`` and, on a GPU, what
        :func:`~sparsemask.benchmarks.kernel_bandwidth` returns.

    """
    names, shapes, xs = stage_inputs(l, batch, xp, rng)
    size = (SIZES[l - 1], SIZES[l - 1])
    stages = {}
    for fused in (True, False):
        numpy.random.seed(0)
        stage = FDNStage([s[0] for s in shapes], DECODER, fused=fused,
                         **MODES[mode])
        if xp is not numpy:
            stage.to_gpu()
        stages[fused] = stage
    stages[False].copyparams(stages[True])
    gy = xp.asarray(rng.randn(batch, DECODER, *size).astype(numpy.float32))
    row = {'stage': l, 'mode': mode, 'inputs': len(names),
           'output': list(size), 'batch': batch}
    for fused, stage in stages.items():
        key = 'fused' if fused else 'unfused'
        vs = [chainer.Variable(x) for x in xs]
        # the unfused stage as a user would write it: F.resize_images
        stock = not fused

        def forward():
            with chainer.using_config('train', True), \
                    chainer.no_backprop_mode(), \
                    chainer.using_config('stock_functions', stock):
                return stage(vs, size)

        def forward_backward():
            with chainer.using_config('train', True), \
                    chainer.using_config('stock_functions', stock):
                stage.cleargrads()
                y = stage(vs, size)
                y.grad = gy
                y.backward()

        row[key + '_forward_s'], _ = median_time(forward, xp, repeat)
        row[key + '_forward_backward_s'], _ = median_time(
            forward_backward, xp, repeat)
        row[key + '_peak_bytes'] = _peak_bytes(forward_backward, xp)
    row['forward_speedup'] = row['unfused_forward_s'] / row['fused_forward_s']
    row['forward_backward_speedup'] = (row['unfused_forward_backward_s']
                                       / row['fused_forward_backward_s'])
    row['peak_memory_ratio'] = (row['fused_peak_bytes']
                                / row['unfused_peak_bytes'])
    # bytes the accumulate step must move at least: every conv output (one
    # per input, at its own resolution) read once, the output written once
    low = sum(batch * DECODER * s[1] * s[2] for s in shapes)
    row['kernel_min_bytes'] = 4 * (low + batch * DECODER * size[0] * size[1])
    if xp is not numpy:
        row.update(kernel_bandwidth(shapes=shapes, batch=batch, size=size,
                                    xp=xp, repeat=repeat))
    return row


def run_stage_benchmark(xp, device, batch, repeat, stages=(1, 6),
                        modes=('search', 'retrain')):
    """Benchmarks stages in each mode (:func:`bench_stage`).

    Args:
        xp (module): ``numpy`` or ``cupy`` (on the current device).
        device (str): the device's name, recorded.
        batch (int): the batch size.
        repeat (int): timed repeats.
        stages (sequence of int): the stages, 1 to 9.
        modes (sequence of str): ``'search'`` and/or ``'retrain'``.

    Returns:
        dict: ``device``, ``batch``, ``repeat``, ``input_size``,
        ``backbone`` and ``stages`` (a row of :func:`bench_stage` per mode
        and stage).

    """
    rng = numpy.random.RandomState(0)
    rows = [bench_stage(l, batch, xp, repeat, rng, mode)
            for mode in modes for l in stages]
    return {'device': device, 'batch': batch, 'repeat': repeat,
            'input_size': 513, 'backbone': 'MobileNetV2', 'stages': rows}
