import numpy
import pytest

import chainer

pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')

from sparsemask.backbones import MobileNetV2  # NOQA: E402
from sparsemask.connectivity import Connectivity  # NOQA: E402
from sparsemask.evaluations import evaluate_segmentation  # NOQA: E402
from sparsemask.export import export_onnx  # NOQA: E402
from sparsemask.export import OnnxRuntimeModel  # NOQA: E402
from sparsemask.links import SparseMask  # NOQA: E402
from tests.export.test_export_onnx import randomize  # NOQA: E402

pytestmark = pytest.mark.filterwarnings(
    'ignore:external_converters is experimental:FutureWarning')


@pytest.fixture(scope='module')
def model():
    rng = numpy.random.RandomState(0)
    c = Connectivity(9, {9: ['E9', 'G'], 5: ['E5', 'D9'],
                         1: ['E1', 'E3', 'D5', 'G']})
    return randomize(SparseMask(MobileNetV2(width_multiplier=0.25), 4,
                                connectivity=c, channels=8), rng)


def test_export_carries_only_the_parameters_it_uses(model, tmp_path):
    onnx_model = export_onnx(model, numpy.zeros((1, 3, 32, 32), 'f'), None)
    names = {t.name for t in onnx_model.graph.initializer}
    used = set()
    for node in onnx_model.graph.node:
        used.update(node.input)
    assert names and names <= used
    # the backbone's ImageNet classifier is in the model, not in the graph
    assert model.backbone.logits_conv.conv.W.size > 0
    assert not any(1001 in t.dims for t in onnx_model.graph.initializer)
    n_graph = sum(int(numpy.prod(t.dims)) for t in
                  onnx_model.graph.initializer)
    n_classifier = sum(p.size for p in model.backbone.logits_conv.params())
    n_model = sum(p.size for p in model.params())
    # (the graph also holds the BN statistics, which are not parameters)
    assert n_graph < n_model - n_classifier / 2


def test_forward_matches_chainer_at_every_shape(model):
    ort = OnnxRuntimeModel(model, threads=1)
    rng = numpy.random.RandomState(1)
    for shape in [(1, 3, 32, 32), (2, 3, 41, 27), (1, 3, 32, 32)]:
        x = rng.randn(*shape).astype(numpy.float32)
        with chainer.using_config('train', False), \
                chainer.no_backprop_mode():
            expected = model(x).array
        got = ort.forward(x).array
        assert got.shape == expected.shape
        assert numpy.abs(got - expected).max() < 1e-4
    assert ort.shapes == [(1, 3, 32, 32), (2, 3, 41, 27)]
    assert ort.n_class == 4


def test_evaluation_equals_chainer(model):
    rng = numpy.random.RandomState(2)
    data = [(rng.uniform(0, 255, (3, 29, 35)).astype(numpy.float32),
             rng.randint(-1, 4, (29, 35)).astype(numpy.int32))
            for _ in range(3)]
    ort = OnnxRuntimeModel(model)
    expected = evaluate_segmentation(model, data, 4, flip=True)
    got = evaluate_segmentation(ort, data, 4, flip=True)
    changed = numpy.abs(got['confusion'] - expected['confusion']).sum()
    assert changed <= 1e-3 * expected['confusion'].sum()
    assert got['miou'] == pytest.approx(expected['miou'], abs=1e-3)
    for a, b in zip(ort.predict([img for img, _ in data]),
                    model.predict([img for img, _ in data])):
        assert a.dtype == numpy.int32
        assert (a != b).mean() <= 1e-3


def test_a_file_accepts_its_own_shape_only(model, tmp_path):
    path = str(tmp_path / 'm.onnx')
    export_onnx(model, numpy.zeros((1, 3, 32, 32), 'f'), path)
    ort = OnnxRuntimeModel(path=path, mean=model.mean, std=model.std)
    assert ort.n_class == 4
    x = numpy.random.RandomState(3).randn(1, 3, 32, 32).astype('f')
    assert ort.forward(x).shape == (1, 4, 32, 32)
    with pytest.raises(ValueError, match='m.onnx: the graph takes inputs '
                       r'of shape \[1, 3, 32, 32\], not \[1, 3, 33, 32\]'):
        ort.forward(numpy.zeros((1, 3, 33, 32), 'f'))
    with pytest.raises(ValueError, match='give a model or a path'):
        OnnxRuntimeModel()
