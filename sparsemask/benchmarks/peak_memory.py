"""Peak memory of a function: :mod:`tracemalloc` on the CPU (NumPy reports
its allocations to it), CuPy's memory pool on a GPU."""

import tracemalloc

import numpy

from sparsemask.benchmarks.median_times import synchronize


def peak_memory(fn, xp=numpy):
    """Measures the memory a function allocates.

    On the CPU, :mod:`tracemalloc` traces every allocation made while
    ``fn`` runs (NumPy's included; memory allocated before, such as the
    parameters, is not traced). On a GPU, CuPy's memory pool has no peak
    counter, so a memory hook samples the pool's used bytes after every
    allocation; all blocks are freed first and the baseline is what is
    still in use.

    Args:
        fn (callable): the function, called once without arguments.
        xp (module): ``numpy`` or ``cupy``.

    Returns:
        tuple: ``(peak, retained)``: the largest number of bytes in use
        above the baseline while ``fn`` ran, and the bytes above the
        baseline still in use after it returned (what it kept, such as
        gradients).

    """
    if xp is numpy:
        was_tracing = tracemalloc.is_tracing()
        if was_tracing:
            tracemalloc.stop()
        tracemalloc.start()
        try:
            base, _ = tracemalloc.get_traced_memory()
            fn()
            current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return int(peak - base), int(current - base)
    # GPU path (CuPy): not exercised by the CPU tests
    from cupy.cuda import memory_hooks
    pool = xp.get_default_memory_pool()
    synchronize(xp)
    pool.free_all_blocks()
    base = pool.used_bytes()
    high = [base]

    class _Peak(memory_hooks.MemoryHook):
        name = 'PeakMemory'

        def malloc_postprocess(self, **kwargs):
            high[0] = max(high[0], pool.used_bytes())

    with _Peak():
        fn()
        synchronize(xp)
    return int(high[0] - base), int(pool.used_bytes() - base)
