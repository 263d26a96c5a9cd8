"""Test-phase images/s of the variants of a model."""

import numpy

from sparsemask.benchmarks.median_times import median_times
from sparsemask.benchmarks.variant_config import forward_test


def throughput(models, batch, size, xp, repeat, warmup, seed=0):
    """Measures test-phase images/s of each model at one batch size.

    Args:
        models (dict): variant name -> model (see :func:`variant_config`);
            a model with a ``timed_runner(x)`` method (an
            :class:`~sparsemask.benchmarks.onnx_runtime_process.OnnxRuntimeProcess`)
            is timed with the function it returns.
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
        if hasattr(m, 'timed_runner'):
            # a model in another process runs there on an input it has
            fns[name] = m.timed_runner(xs)
        else:
            fns[name] = (lambda m=m, xs=xs, name=name:
                         forward_test(m, xs, name))
    times = median_times(fns, xp, repeat=repeat, warmup=warmup)
    row = {'batch': batch}
    for name, (median, ts) in times.items():
        row[name] = {'median_s': median, 'times_s': ts,
                     'images_per_s': batch / median}
    return row
