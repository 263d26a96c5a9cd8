"""Lets the C allocator reuse freed large blocks instead of unmapping them.

NumPy takes every array's memory from ``malloc``. glibc serves a block
larger than its *mmap threshold* with a fresh ``mmap`` and unmaps it when
it is freed, and it returns freed memory at the top of the heap to the
system once more than its *trim threshold* is free. Either way the next
array of that size starts on pages the kernel must fault in and zero. In
our CPU forward pass at 512x512 (arrays of 1-25 MB, allocated and freed
layer by layer) the D1 stage's accumulation took 10 ms instead of 5 and
the whole model 155 ms instead of 142 (one BLAS thread, 2-core Xeon).
ONNX Runtime and PyTorch avoid it with their own arenas.

:func:`reuse_freed_memory` raises both thresholds, so that blocks up to
32 MB (glibc's largest mmap threshold) come from the heap and stay there
once freed, for the next arrays. The cost: the process keeps the memory of
its largest step (a training step's or an image's peak) after it, until
it exits, instead of returning it. The training and evaluation scripts
call it; ``eval/bench_model.py`` measures with and without it.
"""

import ctypes
import ctypes.util
import sys

#: mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

#: glibc's largest mmap threshold on 64-bit systems (32 MB)
MMAP_THRESHOLD = 32 << 20
#: free heap memory kept rather than returned to the system (1 GB)
TRIM_THRESHOLD = 1 << 30

_state = {'applied': None}


def reuse_freed_memory():
    """Makes glibc's ``malloc`` keep freed blocks of up to 32 MB for reuse.

    Calls ``mallopt(M_MMAP_THRESHOLD, 32 MB)`` and
    ``mallopt(M_TRIM_THRESHOLD, 1 GB)`` once per process (later calls
    return the first call's result). Elsewhere than on Linux with glibc
    (macOS, musl, Windows) it does nothing.

    Returns:
        bool: whether both settings were applied.

    """
    if _state['applied'] is None:
        _state['applied'] = _apply()
    return _state['applied']


def _apply():
    if not sys.platform.startswith('linux'):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success
    return (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
            and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1)


def reusing_freed_memory():
    """Whether :func:`reuse_freed_memory` applied its settings in this
    process.

    Returns:
        bool

    """
    return bool(_state['applied'])
