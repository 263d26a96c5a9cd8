"""The name of the device the benchmarks record."""

import os
import platform


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
