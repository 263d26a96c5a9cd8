"""Timing of the benchmarks: wall-clock time with :func:`time.perf_counter`
after warm-up runs, the device synchronised before the clock is read, the
median of the repeats."""

import time

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
