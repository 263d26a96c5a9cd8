"""Whether the ``onnxruntime`` variant of a model benchmark can run, and
with how many threads."""

import os


def onnx_runtime_available():
    """Whether ONNX Runtime and onnx can be imported (the ``onnx`` extra).

    Returns:
        bool: both import.

    """
    try:
        import onnx  # NOQA
        import onnxruntime  # NOQA
    except ImportError:
        return False
    return True


def default_threads():
    """ONNX Runtime's threads by default.

    Returns:
        int: ``OPENBLAS_NUM_THREADS`` (the threads Chainer's NumPy uses)
        when set, else one per core.

    """
    try:
        return max(1, int(os.environ['OPENBLAS_NUM_THREADS']))
    except (KeyError, ValueError):
        return os.cpu_count() or 1
