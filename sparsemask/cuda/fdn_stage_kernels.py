import collections
import threading

from sparsemask.cuda.kernel_source import kernel_source


FDNStageKernels = collections.namedtuple(
    'FDNStageKernels', ['forward', 'backward_rows', 'backward_cols'])

_cache = {}
_lock = threading.Lock()


def fdn_stage_kernels():
    """The CUDA kernels of the fused FDN stage, compiled once per device.

    ``kernels/fdn_stage.cu`` is compiled with :class:`cupy.RawModule` on
    first use (never at import), and the result is memoized per device.

    Returns:
        FDNStageKernels: ``forward``, ``backward_rows`` and
        ``backward_cols`` :class:`cupy.RawKernel` objects.

    """
    import cupy
    device = cupy.cuda.runtime.getDevice()
    with _lock:
        if device not in _cache:
            module = cupy.RawModule(code=kernel_source('fdn_stage.cu'),
                                    options=('-std=c++14',))
            _cache[device] = FDNStageKernels(*[
                module.get_function('fdn_stage_' + name)
                for name in FDNStageKernels._fields])
        return _cache[device]
