import warnings

import numpy

import chainer

from sparsemask.export.external_converters import external_converters
from sparsemask.export.external_converters import MINIMUM_OPSET
from sparsemask.utils.atomic_write import atomic_open

#: the latest opset onnx_chainer's own converters write valid graphs for
#: (its Stack, GetItem and Mean converters write opset-11 nodes; 13 changed
#: Unsqueeze and Squeeze, 18 ReduceMean)
MAXIMUM_OPSET = 12

#: the names of the graph's input and output
INPUT_NAME = 'x'
OUTPUT_NAME = 'logits'


def export_onnx(model, x, path, opset=11):
    """Exports a model to an ONNX file, in test mode.

    The graph is traced by :func:`onnx_chainer.export` on ``x`` with
    ``chainer.using_config('train', False)`` (batch normalizations use
    their running statistics) and the converters of
    :func:`~sparsemask.export.external_converters` (bilinear resizing with
    ``align_corners=True`` as Chainer computes it, and the fused FDN stage).
    The graph's only input is ``x`` and its output ``logits``, with the
    fixed shapes of ``x`` and of the model's output on it; the parameters
    are initializers, those the graph uses only (the backbone's ImageNet
    classifier, kept in the model so that its weights load, is not).

    The file is written atomically: to a temporary file that replaces
    ``path`` once complete, so a failed export leaves ``path`` as it was.

    Args:
        model (~chainer.Chain): the model, e.g. a
            :class:`~sparsemask.links.SparseMask`, on the CPU.
        x (numpy.ndarray): an input, ``(N, 3, H, W)`` float32 normalised
            images; its shape is the graph's.
        path (str): the ONNX file to write; None: nothing is written.
        opset (int): the ONNX opset version, 11 or 12: resizing with
            ``align_corners`` needs 11, and from 13 on some of
            onnx_chainer's own converters write invalid nodes.

    Returns:
        onnx.ModelProto: the exported model.

    Raises:
        ValueError: if ``opset`` is not supported or ``x`` is not a
            float32 array of images.
        OSError: if the file cannot be written.

    """
    import onnx_chainer

    if not MINIMUM_OPSET <= opset <= MAXIMUM_OPSET:
        raise ValueError(
            'ONNX opset {} is not supported: resizing with align_corners '
            'needs opset {} or later, and onnx_chainer converts the other '
            'functions up to opset {}'.format(opset, MINIMUM_OPSET,
                                              MAXIMUM_OPSET))
    if not isinstance(x, numpy.ndarray) or x.ndim != 4 or \
            x.dtype != numpy.float32:
        raise ValueError(
            'export_onnx: x must be a float32 numpy array (N, C, H, W), not '
            '{}'.format(_describe(x)))
    with chainer.using_config('train', False), warnings.catch_warnings():
        # external converters are an "experimental" feature of onnx_chainer
        warnings.filterwarnings(
            'ignore', message='external_converters is experimental',
            category=FutureWarning)
        onnx_model = onnx_chainer.export(
            model, x.copy(), filename=None, opset_version=opset,
            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
            train=False, external_converters=external_converters())
    _drop_initializer_inputs(onnx_model)
    _drop_unused_initializers(onnx_model)
    if path is not None:
        data = onnx_model.SerializeToString()
        with atomic_open(path, 'wb') as f:
            f.write(data)
    return onnx_model


def _drop_unused_initializers(onnx_model):
    # parameters no node reads (the backbone's classifier): ONNX Runtime
    # warns about each, and they make the file larger
    graph = onnx_model.graph
    used = set(graph.output[i].name for i in range(len(graph.output)))
    for node in graph.node:
        used.update(node.input)
    kept = [t for t in graph.initializer if t.name in used]
    if len(kept) != len(graph.initializer):
        del graph.initializer[:]
        graph.initializer.extend(kept)


def _drop_initializer_inputs(onnx_model):
    # onnx_chainer lists every parameter among the graph's inputs too (as
    # IR version 3 required): runtimes then see them as inputs that may be
    # overridden and do not fold them as constants. The graph's only input
    # is x.
    graph = onnx_model.graph
    initializers = set(t.name for t in graph.initializer)
    inputs = [i for i in graph.input if i.name not in initializers]
    del graph.input[:]
    graph.input.extend(inputs)


def _describe(x):
    if isinstance(x, numpy.ndarray):
        return 'an array {} of shape {}'.format(x.dtype, x.shape)
    return type(x).__name__
