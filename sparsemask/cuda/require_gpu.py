import os

from sparsemask.cuda.gpu_unavailable_error import GPUUnavailableError


INSTALL_HINT = (
    "install CuPy for the node's driver: pip install -c constraints.txt "
    "-e '.[cuda13]' for a CUDA 13 driver, '.[cuda]' for CUDA 12 (nvidia-smi "
    "shows 'CUDA Version'); on a node without internet, see "
    "scripts/offline_bundle.sh; or run on the CPU with --gpu -1")


def require_gpu(gpu, compile_kernels=True):
    """Checks that CuPy can run on GPU ``gpu``, and makes it current.

    Imports CuPy, selects the device, allocates and reduces a small array
    and, with ``compile_kernels``, compiles this project's CUDA kernels
    (:func:`sparsemask.cuda.fdn_stage_kernels`), so that a missing CuPy, a
    driver older than the CUDA of the installed CuPy, or a broken NVRTC is
    reported before any work starts, as one clear error rather than a
    traceback later.

    Args:
        gpu (int): the device id (``--gpu``); negative means the CPU and
            nothing is checked.
        compile_kernels (bool): also compile the fused stage's kernels.

    Returns:
        module: :mod:`cupy`, or None for the CPU.

    Raises:
        GPUUnavailableError: naming the device, the cause and the fix.

    """
    if gpu is None or gpu < 0:
        return None
    step = 'import cupy'
    try:
        import cupy
        step = 'count the CUDA devices'
        n = cupy.cuda.runtime.getDeviceCount()
        if gpu >= n:
            raise GPUUnavailableError(
                '--gpu {} was requested, but CUDA sees {} device(s) '
                '(CUDA_VISIBLE_DEVICES={!r})'.format(
                    gpu, n, os.environ.get('CUDA_VISIBLE_DEVICES')))
        step = 'use device {}'.format(gpu)
        cupy.cuda.Device(gpu).use()
        step = 'compute on device {}'.format(gpu)
        float(cupy.arange(4, dtype=cupy.float32).sum())
        if compile_kernels:
            step = 'compile kernels/fdn_stage.cu'
            from sparsemask.cuda.fdn_stage_kernels import fdn_stage_kernels
            fdn_stage_kernels()
    except GPUUnavailableError:
        raise
    except Exception as e:
        raise GPUUnavailableError(
            '--gpu {} was requested, but CuPy failed to {}: {}: {}; {}'.format(
                gpu, step, type(e).__name__, e, INSTALL_HINT)) from e
    return cupy
