"""One training step of a model: its time and its memory.

The step is what the trainer does: clear the gradients, forward in
training mode, softmax cross entropy, backward. On the CPU, the memory is
the peak of the allocations traced by :mod:`tracemalloc` during the step
(NumPy reports its allocations to it) above the baseline before it. It is
split into parameters(+gradients): the parameters, allocated before the
step, and the gradients the step leaves behind; and activations: the
traced peak minus those gradients, i.e. the features kept for the
backward pass, their gradients and workspace. The input batch is reported
apart. On a GPU, the peak of CuPy's memory pool during the step (a memory
hook).
"""

import gc

import numpy

import chainer
import chainer.functions as F

from sparsemask.benchmarks.median_times import median_times
from sparsemask.benchmarks.peak_memory import peak_memory
from sparsemask.benchmarks.variant_config import variant_config


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
    training mode, softmax cross entropy, backward. See this module's
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
