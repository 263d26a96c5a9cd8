"""The CUDA sources of this package and their lazy, memoized compilation.

No Chainer, and CuPy only when :func:`fdn_stage_kernels` is called (never at
import). ``sparsemask.cuda`` re-exports these functions.
"""

import collections
import os
import threading


_HERE = os.path.dirname(os.path.abspath(__file__))


def kernel_path(name):
    """Finds a CUDA source of this package (``kernels/`` in a source
    checkout, ``sparsemask/kernels/`` when installed).

    Args:
        name (str): a file name such as ``'fdn_stage.cu'``.

    Returns:
        str: the path.

    Raises:
        IOError: if there is no such file.

    """
    path = os.path.join(_HERE, name)
    if not os.path.exists(path):
        raise IOError('CUDA source {} not found in {}'.format(name, _HERE))
    return path


def kernel_source(name):
    """Returns the text of a CUDA source, see :func:`kernel_path`."""
    with open(kernel_path(name)) as f:
        return f.read()


#: the three kernels of ``fdn_stage.cu``
FDNStageKernels = collections.namedtuple(
    'FDNStageKernels', ['forward', 'backward_rows', 'backward_cols'])

#: NVRTC options of ``fdn_stage.cu`` (also given to nvcc by the checks)
OPTIONS = ('-std=c++14',)

_cache = {}
_lock = threading.Lock()


def fdn_stage_kernels():
    """The CUDA kernels of the fused FDN stage, compiled once per device.

    ``fdn_stage.cu`` is compiled with :class:`cupy.RawModule` on first use
    (never at import), and the result is memoized per device.

    Returns:
        FDNStageKernels: ``forward``, ``backward_rows`` and
        ``backward_cols`` :class:`cupy.RawKernel` objects.

    """
    import cupy
    device = cupy.cuda.runtime.getDevice()
    with _lock:
        if device not in _cache:
            module = cupy.RawModule(code=kernel_source('fdn_stage.cu'),
                                    options=OPTIONS)
            _cache[device] = FDNStageKernels(*[
                module.get_function('fdn_stage_' + name)
                for name in FDNStageKernels._fields])
        return _cache[device]
