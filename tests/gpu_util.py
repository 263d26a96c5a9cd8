"""CuPy for the GPU tests: a skip, or a failure when a GPU was requested.

Every test marked ``gpu`` gets CuPy through :func:`require_cupy`. Without a
usable CuPy and CUDA device such a test is skipped, unless the run asked
for the GPU tests (``--gpu``, or a ``-m`` expression that selects the
``gpu`` marker, such as ``-m gpu``): then it fails, so that a broken CUDA
set-up cannot pass as a green run of skipped tests.
"""

import re

import numpy
import pytest


from sparsemask.cuda.require_gpu import INSTALL_HINT

_PROBE_SOURCE = r'''
extern "C" __global__ void sparsemask_gpu_probe(float* x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        x[i] = 2.0f * x[i] + 1.0f;
    }
}
'''

_probe_result = None


def _probe():
    # the scripts' check of --gpu 0: CuPy imports, a device computes, and
    # kernels/fdn_stage.cu compiles
    from sparsemask.cuda import require_gpu
    cupy = require_gpu(0)
    a = cupy.arange(64, dtype=cupy.float32)
    cupy.cuda.Stream.null.synchronize()
    # a RawKernel compiled with NVRTC and launched: a broken NVRTC shows up
    kernel = cupy.RawKernel(_PROBE_SOURCE, 'sparsemask_gpu_probe')
    kernel((1,), (64,), (a, numpy.int32(a.size)))
    cupy.cuda.Stream.null.synchronize()
    got = cupy.asnumpy(a)
    expected = 2 * numpy.arange(64, dtype=numpy.float32) + 1
    if not numpy.array_equal(got, expected):
        raise RuntimeError('a trivial RawKernel computed wrong values')
    # the tests run Chainer on the GPU: Chainer must accept this CuPy
    import chainer
    chainer.backends.cuda.check_cuda_available()
    return cupy


def probe_cupy():
    """Checks once per process whether CuPy can run on a CUDA device.

    The check is :func:`sparsemask.cuda.require_gpu` (CuPy imports, device
    0 computes, the project's kernels compile), then it launches a trivial
    :class:`cupy.RawKernel` and checks its result, and asks Chainer whether
    it can use CuPy.

    Returns:
        tuple: ``(cupy, None)`` when CuPy is usable, else ``(None, e)``
        with ``e`` the exception that the check raised.

    """
    global _probe_result
    if _probe_result is None:
        try:
            _probe_result = (_probe(), None)
        except Exception as e:  # ImportError, CUDARuntimeError, ...
            _probe_result = (None, e)
    return _probe_result


def gpu_requested(config):
    """Whether this pytest run asked for the GPU tests.

    It did with ``--gpu``, or with a marker expression that names ``gpu``
    other than as ``not gpu`` (``-m gpu``, ``-m "gpu and not slow"``);
    ``-m "not gpu"`` and no ``-m`` are no request.

    Args:
        config (pytest.Config): the run's configuration.

    Returns:
        bool

    """
    if config.getoption('gpu', default=False):
        return True
    expr = config.getoption('markexpr', default='') or ''
    return bool(re.search(r'\bgpu\b', expr)) and not re.search(
        r'\bnot\s+gpu\b', expr)


def require_cupy(config):
    """Returns CuPy, or skips or fails the calling test.

    Call it in the body of a test (not in a fixture, where a failure would
    be reported as an error at set-up).

    Args:
        config (pytest.Config): the run's configuration
            (``request.config``).

    Returns:
        module: :mod:`cupy`, checked to run on a CUDA device.

    """
    cupy, error = probe_cupy()
    if error is None:
        return cupy
    reason = '{}: {}'.format(type(error).__name__, error)
    if gpu_requested(config):
        pytest.fail('a GPU was requested (--gpu or -m gpu) but CuPy with a '
                    'CUDA device is not usable ({}); {}'.format(
                        reason, INSTALL_HINT), pytrace=False)
    pytest.skip('CuPy with a CUDA device is needed ({}); run with --gpu to '
                'make this a failure'.format(reason))
