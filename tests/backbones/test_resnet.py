import numpy
import pytest

import chainer
import chainer.links as L
import chainercv

from sparsemask.backbones import ResNet101
from tests.backbones.common import backward_all
from tests.backbones.common import check_g_is_mean_of_last_stage
from tests.backbones.common import normalized_batch
from sparsemask.backbones import ResNet50



@pytest.fixture(scope='module', params=[ResNet50, ResNet101])
def model(request):
    return request.param()


def test_interface(model):
    assert model.channels == (64, 256, 512, 1024, 2048)
    assert model.strides == (2, 4, 8, 16, 32)
    assert model.g_channels == 2048
    assert model.feature_activation is None
    assert model.mean.shape == (3, 1, 1) and model.mean.dtype == numpy.float32
    assert model.std.shape == (3, 1, 1) and model.std.dtype == numpy.float32
    numpy.testing.assert_array_equal(
        model.mean, chainercv.links.model.resnet.resnet._imagenet_mean)
    numpy.testing.assert_array_equal(model.std, 1)
    assert model.pick == ('conv1', 'res2', 'res3', 'res4', 'res5')
    # The classifier is removed.
    assert model.layer_names[-1] == 'res5'
    assert not hasattr(model, 'fc6')
    # 'he' architecture: the stride is in the first 1x1 convolution.
    assert model.res3.a.conv1.conv.stride == (2, 2)
    # Parameters exist right after construction and the dummy forward used
    # to create them did not touch the batch statistics.
    assert all(p.array is not None for p in model.params())
    numpy.testing.assert_array_equal(model.res2.a.conv1.bn.avg_mean, 0)


def test_parameter_count(model):
    n = sum(p.size for p in model.params())
    expected = {ResNet50: 23508096, ResNet101: 42500160}
    assert n == expected[type(model)]


def test_forward_backward(model):
    stages, g = model(normalized_batch(model))
    assert len(stages) == len(model.channels) == 5
    # conv1 (7x7 pad 3 stride 2) -> 33, Caffe-style 3x3/2 max pooling
    # without padding -> 16 (not ceil(65 / 4) = 17), then halvings.
    sizes = [33, 16, 8, 4, 2]
    for h, c, size in zip(stages, model.channels, sizes):
        assert h.shape == (2, c, size, size)
    assert g.shape == (2, model.g_channels, 1, 1)
    check_g_is_mean_of_last_stage(stages, g)
    # Features are after ReLU.
    assert all((h.array >= 0).all() for h in stages)

    backward_all(model, stages, g)
    assert numpy.abs(model.conv1.conv.W.grad).max() > 0
    assert numpy.abs(model.res5.a.conv3.conv.W.grad).max() > 0


def test_load_chainercv_and_own_npz(tmpdir):
    # A file in ChainerCV's layout (with fc6) loads.
    original = chainercv.links.ResNet50(arch='he')
    with chainer.using_config('train', False):
        original(numpy.zeros((1, 3, 32, 32), dtype=numpy.float32))
    rng = numpy.random.RandomState(0)
    for link in original.links():
        if isinstance(link, L.BatchNormalization):
            link.avg_mean[...] = rng.standard_normal(link.avg_mean.shape)
    path = str(tmpdir.join('chainercv_resnet50.npz'))
    chainer.serializers.save_npz(path, original, compression=False)
    model = ResNet50(pretrained_model=path)
    reference = dict(original.namedparams())
    for name, p in model.namedparams():
        numpy.testing.assert_array_equal(p.array, reference[name].array)
    numpy.testing.assert_array_equal(
        model.res4.b3.conv2.bn.avg_mean, original.res4.b3.conv2.bn.avg_mean)

    # A file saved from the backbone (without fc6) loads too.
    own = str(tmpdir.join('resnet50.npz'))
    chainer.serializers.save_npz(own, model, compression=False)
    with numpy.load(own) as npz:
        assert not any(key.startswith('fc6') for key in npz.files)
    again = ResNet50(pretrained_model=own)
    for name, p in again.namedparams():
        numpy.testing.assert_array_equal(p.array, reference[name].array)


def test_bad_pretrained_model():
    with pytest.raises(ValueError, match='nonexistent'):
        ResNet50(pretrained_model='nonexistent')
    with pytest.raises(ValueError, match='nonexistent'):
        ResNet101(pretrained_model='nonexistent')
