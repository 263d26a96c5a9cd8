"""Timing and peak-memory helpers of the benchmarks in ``eval/``.

They follow ``eval/bench_kernels.py``: wall-clock time with
:func:`time.perf_counter` after warm-up runs, the device synchronised
before the clock is read, the median of the repeats; peak memory from
:mod:`tracemalloc` on the CPU (NumPy reports its allocations to it) and
from CuPy's memory pool on a GPU.
"""

import os
import platform
import time
import tracemalloc

import numpy


def synchronize(xp):
    """Waits until the device has finished the work queued so far.

    Args:
        xp (module): ``numpy`` (nothing to wait for) or ``cupy``.

    """
    if xp is not numpy:
        xp.cuda.Stream.null.synchronize()


def median_times(fns, xp=numpy, repeat=5, warmup=1):
    """Times functions, interleaved, and returns the median of each.

    Each function runs ``warmup`` times untimed, then the functions take
    turns for ``repeat`` rounds, so that a slow spell of a shared machine
    hits all of them alike and their ratio stays meaningful.

    Args:
        fns (dict): name -> function of no arguments.
        xp (module): ``numpy`` or ``cupy``; the device is synchronised
            before the clock is read.
        repeat (int): timed runs of each function.
        warmup (int): untimed runs of each function first.

    Returns:
        dict: name -> ``(median seconds, list of the seconds of every
        timed run)``.

    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    synchronize(xp)
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            synchronize(xp)
            times[name].append(time.perf_counter() - start)
    return {name: (float(numpy.median(ts)), ts) for name, ts in times.items()}


def median_time(fn, xp=numpy, repeat=5, warmup=1):
    """Times one function (see :func:`median_times`).

    Returns:
        tuple: ``(median seconds, list of seconds)``.

    """
    return median_times({'fn': fn}, xp, repeat, warmup)['fn']


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


def device_name(gpu=-1):
    """Names the device the way the benchmarks record it.

    Args:
        gpu (int): a GPU id, or a negative number for the CPU.

    Returns:
        str: the GPU's name, or ``cpu: <processor> (<n> cores)``.

    """
    if gpu >= 0:
        import cupy
        name = cupy.cuda.runtime.getDeviceProperties(gpu)['name']
        return name.decode() if isinstance(name, bytes) else name
    return 'cpu: {} ({} cores)'.format(
        platform.processor() or platform.machine(), os.cpu_count())
