import os

import numpy
import pytest

import chainer
import chainer.functions as F

onnx = pytest.importorskip('onnx')
onnxruntime = pytest.importorskip('onnxruntime')
import onnx_chainer  # NOQA: E402

from sparsemask.backbones import MobileNetV2  # NOQA: E402
from sparsemask.connectivity import Connectivity  # NOQA: E402
from sparsemask.export import check_onnx  # NOQA: E402
from tests.backbones.common import randomize_batch_normalizations  # NOQA: E402,E501
from sparsemask.export import export_onnx  # NOQA: E402
from sparsemask.export import external_converters  # NOQA: E402
from sparsemask.functions import resize_bilinear  # NOQA: E402
from sparsemask.links import SparseMask  # NOQA: E402
from tests.functions.fdn_stage_cases import FIXED  # NOQA: E402
from tests.functions.fdn_stage_cases import make_stage  # NOQA: E402
from tests.functions.fdn_stage_cases import random_case  # NOQA: E402
from tests.tiny_backbone import TinyBackbone  # NOQA: E402
from tests.training.tiny_run import ROOT  # NOQA: E402

PAPER_ARCH = os.path.join(ROOT, 'configs', 'arch',
                          'sparsemask_mobilenetv2_voc.yaml')
TOLERANCE = 1e-4

pytestmark = pytest.mark.filterwarnings(
    'ignore:external_converters is experimental:FutureWarning')


def randomize(model, rng):
    """Random running statistics, BN scales and connection weights, so
    that every term of the decoder shows in the output."""
    randomize_batch_normalizations(model, rng)
    if model.search:
        for _, stage in model.stages():
            stage.w.array[...] = rng.uniform(0.1, 1, stage.n_inputs)
    return model


def run_onnx(onnx_model, *xs):
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=['CPUExecutionProvider'])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, xs)))[0]


def max_diff(a, b):
    assert a.shape == b.shape
    return float(numpy.max(numpy.abs(a.astype(numpy.float64) - b)))


def op_types(onnx_model):
    return [node.op_type for node in onnx_model.graph.node]


def tiny_model(search, fused, bn_affine=False, seed=0):
    rng = numpy.random.RandomState(seed)
    kwargs = {'bn_affine': bn_affine} if search else {}
    model = SparseMask(TinyBackbone(), 5, search=search, channels=8,
                       fused=fused, **kwargs)
    return randomize(model, rng)


# --- (a) the converters on the whole model and on single stages ----------

@pytest.mark.parametrize('search,bn_affine', [
    (True, False), (True, True), (False, False)])
@pytest.mark.parametrize('fused', [True, False])
def test_tiny_model_matches_chainer(tmp_path, search, bn_affine, fused):
    model = tiny_model(search, fused, bn_affine)
    # odd sizes: every decoder stage and the head interpolate (19x15,
    # 10x8, 5x4 from 37x29, and G from 1x1)
    x = numpy.random.RandomState(1).randn(1, 3, 37, 29).astype(numpy.float32)
    path = str(tmp_path / 'model.onnx')
    onnx_model = export_onnx(model, x, path)
    onnx.checker.check_model(onnx_model)
    types = op_types(onnx_model)
    assert 'FDNStageFunction' not in types
    assert 'Resize' in types and 'Upsample' not in types
    for node in onnx_model.graph.node:
        if node.op_type == 'Resize':
            attrs = {a.name: onnx.helper.get_attribute_value(a)
                     for a in node.attribute}
            assert attrs['coordinate_transformation_mode'] == \
                b'align_corners'
            assert attrs['mode'] == b'linear'
    diff = check_onnx(model, x, path)
    assert diff < TOLERANCE
    # ... and not trivially: the decoder's output depends on its weights
    with chainer.using_config('train', False):
        y = model(x).array
    assert float(numpy.abs(y).max()) > 0.1


@pytest.mark.parametrize('fused', [True, False])
def test_search_model_without_connection_bn(tmp_path, fused):
    # the BN ablation (model.connection_bn: false), with top-k weights
    model = SparseMask(TinyBackbone(), 5, search=True, channels=8,
                       fused=fused, connection_bn=False, topk=2)
    randomize(model, numpy.random.RandomState(3))
    x = numpy.random.RandomState(4).randn(1, 3, 37, 29).astype(numpy.float32)
    path = str(tmp_path / 'model.onnx')
    onnx.checker.check_model(export_onnx(model, x, path))
    assert check_onnx(model, x, path) < TOLERANCE


def test_deeplabv3_model(tmp_path):
    # model.arch: deeplabv3, an ASPP head (dilated convolutions, image
    # pooling broadcast back) instead of the FDN decoder
    from sparsemask.links import ASPPDecoder
    model = SparseMask(TinyBackbone(), 5,
                       decoder=ASPPDecoder(8, 6, rates=(1, 2, 3)))
    randomize(model, numpy.random.RandomState(5))
    x = numpy.random.RandomState(6).randn(2, 3, 37, 29).astype(numpy.float32)
    path = str(tmp_path / 'model.onnx')
    onnx_model = export_onnx(model, x, path)
    onnx.checker.check_model(onnx_model)
    assert check_onnx(model, x, path) < TOLERANCE
    with chainer.using_config('train', False):
        y = model(x).array
    assert float(numpy.abs(y).max()) > 0.1


def test_fused_and_unfused_exports_agree(tmp_path):
    fused = tiny_model(True, True, bn_affine=True)
    unfused = tiny_model(True, False, bn_affine=True)
    unfused.copyparams(fused)
    for a, b in zip(fused.links(), unfused.links()):
        if isinstance(a, chainer.links.BatchNormalization):
            b.avg_mean[...] = a.avg_mean
            b.avg_var[...] = a.avg_var
    x = numpy.random.RandomState(2).randn(2, 3, 23, 31).astype(
        numpy.float32)
    outputs = []
    for model, name in ((fused, 'fused'), (unfused, 'unfused')):
        path = str(tmp_path / (name + '.onnx'))
        outputs.append(run_onnx(export_onnx(model, x, path), x))
    assert max_diff(outputs[0], outputs[1]) < TOLERANCE


class _StageModel(chainer.Chain):

    def __init__(self, stage, size):
        super(_StageModel, self).__init__()
        self.size = size
        with self.init_scope():
            self.stage = stage

    def forward(self, *xs):
        return self.stage(list(xs), self.size)


def _stage_cases():
    cases = [(i, case) for i, case in enumerate(FIXED)]
    for seed in (0, 3, 7):
        batch, shapes, size, _ = random_case(seed, max_inputs=8)
        cases.append(('random{}'.format(seed), (batch, shapes, size)))
    return cases


@pytest.mark.parametrize('name,case', _stage_cases(),
                         ids=[str(n) for n, _ in _stage_cases()])
@pytest.mark.parametrize('weighted', [True, False])
def test_fdn_stage_converter(name, case, weighted):
    # every special size: output-sized inputs, several inputs of one size,
    # 1x1 inputs, a single input, batches > 1
    batch, shapes, size = case
    rng = numpy.random.RandomState(5)
    stage = make_stage(shapes, 4, weighted, True, rng)
    stage.weight_scale = 2.0
    model = _StageModel(stage, size)
    xs = [rng.randn(batch, c, h, w).astype(numpy.float32)
          for c, h, w in shapes]
    with chainer.using_config('train', False):
        expected = model(*xs).array
        onnx_model = onnx_chainer.export(
            model, list(xs), external_converters=external_converters())
    onnx.checker.check_model(onnx_model)
    assert max_diff(run_onnx(onnx_model, *xs), expected) < TOLERANCE


def test_fdn_stage_converter_refuses_training_mode():
    stage = make_stage([(3, 4, 5), (2, 2, 3)], 4, True, True,
                       numpy.random.RandomState(0))
    model = _StageModel(stage, (4, 5))
    xs = [numpy.ones((2, 3, 4, 5), numpy.float32),
          numpy.ones((2, 2, 2, 3), numpy.float32)]
    with pytest.raises(ValueError, match='test mode'):
        onnx_chainer.export(model, xs, train=True,
                            external_converters=external_converters())


def test_export_is_atomic(tmp_path):
    path = str(tmp_path / 'model.onnx')
    with open(path, 'wb') as f:
        f.write(b'old')
    model = tiny_model(True, True)
    x = numpy.zeros((1, 3, 16, 16), numpy.float32)
    for opset in (9, 13):
        with pytest.raises(ValueError, match='opset'):
            export_onnx(model, x, path, opset=opset)

    class Unsupported(chainer.Chain):
        def forward(self, x):
            return F.cumsum(x, axis=1)

    with pytest.raises(ValueError, match='not supported'):
        export_onnx(Unsupported(), x, path)
    with open(path, 'rb') as f:
        assert f.read() == b'old'
    assert os.listdir(str(tmp_path)) == ['model.onnx']
    export_onnx(model, x, path)
    assert onnx.load(path).graph.output[0].name == 'logits'
    assert os.listdir(str(tmp_path)) == ['model.onnx']


# --- (b) resize_images alone ---------------------------------------------

RESIZES = [((5, 7), (11, 13)), ((1, 1), (4, 3)), ((6, 9), (3, 4)),
           ((4, 4), (1, 1)), ((7, 3), (1, 6)), ((3, 5), (3, 5))]


def _resize_model(size, **kwargs):
    return chainer.Sequential(
        lambda x: F.resize_images(x, size, **kwargs))


@pytest.mark.parametrize('in_size,out_size', RESIZES)
@pytest.mark.parametrize('kwargs', [
    {}, {'align_corners': False}, {'mode': 'nearest'}],
    ids=['align_corners', 'half_pixel', 'nearest'])
def test_resize_images_matches(in_size, out_size, kwargs):
    x = numpy.random.RandomState(0).randn(2, 3, *in_size).astype(
        numpy.float32)
    model = _resize_model(out_size, **kwargs)
    onnx_model = onnx_chainer.export(
        model, x, opset_version=11,
        external_converters=external_converters())
    assert max_diff(run_onnx(onnx_model, x), model(x).array) < 1e-5


def test_stock_resize_images_converter_does_not_match():
    # What the external converter fixes: onnx_chainer's own converter
    # ignores align_corners (ONNX's default is half_pixel).
    x = numpy.random.RandomState(0).randn(1, 3, 5, 7).astype(numpy.float32)
    model = _resize_model((11, 13))
    expected = model(x).array
    with pytest.warns(UserWarning, match='Behavior of bilinear'):
        stock = onnx_chainer.export(model, x, opset_version=11)
    assert max_diff(run_onnx(stock, x), expected) > 1e-3
    ours = onnx_chainer.export(model, x, opset_version=11,
                               external_converters=external_converters())
    assert max_diff(run_onnx(ours, x), expected) < 1e-5


def test_unfused_model_needs_the_resize_converter():
    # with stock Chainer functions (F.resize_images) onnx_chainer's own
    # converter writes a graph that resizes otherwise
    model = tiny_model(True, False)
    x = numpy.random.RandomState(1).randn(1, 3, 37, 29).astype(numpy.float32)
    with chainer.using_config('train', False), \
            chainer.using_config('stock_functions', True):
        expected = model(x).array
        with pytest.warns(UserWarning):
            stock = onnx_chainer.export(model, x, opset_version=11)
    assert max_diff(run_onnx(stock, x), expected) > 1e-3


def test_resize_bilinear_needs_its_converter():
    # sparsemask.functions.resize_bilinear (the model's own resizing)
    # exports with the converter of ResizeImages, and only with it
    x = numpy.random.RandomState(0).randn(2, 3, 5, 7).astype(numpy.float32)
    model = chainer.Sequential(lambda x: resize_bilinear(x, (11, 13)))
    expected = F.resize_images(x, (11, 13)).array
    with pytest.raises(ValueError, match='ResizeBilinear is not supported'):
        onnx_chainer.export(model, x, opset_version=11)
    ours = onnx_chainer.export(model, x, opset_version=11,
                               external_converters=external_converters())
    assert [t for t in op_types(ours) if t != 'Constant'] == ['Resize']
    assert max_diff(run_onnx(ours, x), expected) < 1e-5


# --- (c) the paper's MobileNetV2 architecture -----------------------------

@pytest.mark.parametrize('fused', [True, False])
def test_mobilenetv2_paper_architecture(tmp_path, fused):
    arch = Connectivity.from_yaml(PAPER_ARCH)
    model = SparseMask(MobileNetV2(width_multiplier=0.25), 21,
                       connectivity=arch, channels=16, fused=fused)
    randomize(model, numpy.random.RandomState(0))
    x = numpy.random.RandomState(1).randn(1, 3, 65, 47).astype(
        numpy.float32)
    path = str(tmp_path / 'model.onnx')
    export_onnx(model, x, path)
    assert check_onnx(model, x, path) < TOLERANCE
