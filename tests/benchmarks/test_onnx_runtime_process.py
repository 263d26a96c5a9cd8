import numpy
import pytest

import chainer

pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')

from sparsemask.benchmarks import OnnxRuntimeProcess  # NOQA: E402
from sparsemask.benchmarks import throughput  # NOQA: E402
from tests.export import test_onnx_runtime_model as in_process  # NOQA: E402

#: the model (a module fixture) of the in-process runner's tests
model = in_process.model

pytestmark = pytest.mark.filterwarnings(
    'ignore:external_converters is experimental:FutureWarning')


def test_the_child_runs_our_export(model):
    rng = numpy.random.RandomState(1)
    with OnnxRuntimeProcess(model, threads=1) as ort:
        for shape in [(1, 3, 32, 32), (2, 3, 25, 37)]:
            x = rng.randn(*shape).astype(numpy.float32)
            with chainer.using_config('train', False), \
                    chainer.no_backprop_mode():
                expected = model(x).array
            got = ort(x).array
            assert got.shape == expected.shape
            assert numpy.abs(got - expected).max() < 1e-4
        # a timed run sends the input once; each call runs it in the child
        run = ort.timed_runner(x)
        assert run() is None and run() is None
        # its errors come back as errors, and it keeps serving
        with pytest.raises(RuntimeError, match='ONNX Runtime process: '
                           "ValueError: unknown request 'nope'"):
            ort._request('nope')
        assert numpy.abs(ort(x).array - got).max() == 0
    assert not ort._process.is_alive()


def test_throughput_times_the_child(model):
    with OnnxRuntimeProcess(model, threads=1) as ort:
        row = throughput({'ours': model, 'onnxruntime': ort}, 1, (32, 32),
                         numpy, repeat=2, warmup=1)
    for name in ('ours', 'onnxruntime'):
        assert len(row[name]['times_s']) == 2
        assert row[name]['images_per_s'] > 0
