import numpy

import chainer

from sparsemask.export.export_onnx import INPUT_NAME
from sparsemask.export.onnx_runtime_model import cpu_session


def _run_onnx(path, x):
    """Runs an ONNX file with ONNX Runtime on the CPU.

    Args:
        path (str): the ONNX file.
        x (numpy.ndarray): its (only) input.

    Returns:
        numpy.ndarray: its first output.

    """
    session = cpu_session(path)
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise ValueError('{}: the graph has {} inputs, expected one '
                         '({!r})'.format(path, len(inputs), INPUT_NAME))
    return session.run(None, {inputs[0].name: x})[0]


def check_onnx(model, x, path):
    """Compares an exported model with Chainer on an input.

    Args:
        model (~chainer.Chain): the model the file was exported from.
        x (numpy.ndarray): an input of the shape the file was exported
            with, ``(N, 3, H, W)`` float32.
        path (str): the ONNX file.

    Returns:
        float: the largest absolute difference between ONNX Runtime's
        output and the model's, computed in test mode.

    Raises:
        ValueError: if the outputs differ in shape.

    """
    got = _run_onnx(path, x)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        expected = model(model.xp.asarray(x)).array
    expected = chainer.backends.cuda.to_cpu(expected)
    if got.shape != expected.shape:
        raise ValueError(
            '{}: the ONNX output has shape {}, Chainer\'s {}'.format(
                path, got.shape, expected.shape))
    return float(numpy.max(numpy.abs(got.astype(numpy.float64)
                                     - expected.astype(numpy.float64))))
