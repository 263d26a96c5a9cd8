"""ONNX export of a trained model, with the converters it needs, and a
check of the exported file against Chainer with ONNX Runtime (the ``onnx``
extra: ``pip install -e .[onnx]``)."""

from sparsemask.export.check_onnx import check_onnx  # NOQA
from sparsemask.export.export_onnx import export_onnx  # NOQA
from sparsemask.export.external_converters import external_converters  # NOQA
from sparsemask.export.onnx_runtime_model import OnnxRuntimeModel  # NOQA
