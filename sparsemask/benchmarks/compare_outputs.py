"""Whether the variants of a model compute the same logits."""

import numpy

import chainer

from sparsemask.benchmarks.variant_config import forward_test

#: the variants' test-phase outputs must agree this closely
TOLERANCE = 1e-4


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
            forward_test(model, xs, name).array).astype(numpy.float64)
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
