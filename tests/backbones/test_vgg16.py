import numpy
import pytest

import chainer
import chainercv

from sparsemask.backbones import VGG16
from tests.backbones.common import backward_all
from tests.backbones.common import check_g_is_mean_of_last_stage
from tests.backbones.common import normalized_batch



@pytest.fixture(scope='module')
def model():
    return VGG16()


def test_interface(model):
    assert model.channels == (64, 128, 256, 512, 512)
    assert model.strides == (2, 4, 8, 16, 32)
    assert model.g_channels == 512
    assert model.feature_activation is None
    assert model.mean.shape == (3, 1, 1) and model.mean.dtype == numpy.float32
    numpy.testing.assert_array_equal(
        model.mean, chainercv.links.model.vgg.vgg16._imagenet_mean)
    numpy.testing.assert_array_equal(model.std, 1)
    assert model.std.shape == (3, 1, 1) and model.std.dtype == numpy.float32
    assert model.pick == ('pool1', 'pool2', 'pool3', 'pool4', 'pool5')
    assert model.layer_names[-1] == 'pool5'
    assert not hasattr(model, 'fc6')
    assert all(p.array is not None for p in model.params())
    assert sum(p.size for p in model.params()) == 14714688


def test_forward_backward(model):
    stages, g = model(normalized_batch(model))
    assert len(stages) == len(model.channels) == 5
    # 2x2 max poolings with cover_all: ceil(65 / stride).
    sizes = [33, 17, 9, 5, 3]
    for h, c, s, size in zip(stages, model.channels, model.strides, sizes):
        assert h.shape == (2, c, size, size)
        assert size == -(-65 // s)
    assert g.shape == (2, model.g_channels, 1, 1)
    check_g_is_mean_of_last_stage(stages, g)
    assert all((h.array >= 0).all() for h in stages)

    backward_all(model, stages, g)
    assert numpy.abs(model.conv1_1.conv.W.grad).max() > 0
    assert numpy.abs(model.conv5_3.conv.W.grad).max() > 0


def test_load_chainercv_and_own_npz(tmpdir):
    original = chainercv.links.VGG16()
    original(numpy.zeros((1, 3, 32, 32), dtype=numpy.float32))
    path = str(tmpdir.join('chainercv_vgg16.npz'))
    chainer.serializers.save_npz(path, original, compression=False)
    model = VGG16(pretrained_model=path)
    reference = dict(original.namedparams())
    for name, p in model.namedparams():
        numpy.testing.assert_array_equal(p.array, reference[name].array)

    own = str(tmpdir.join('vgg16.npz'))
    chainer.serializers.save_npz(own, model, compression=False)
    again = VGG16(pretrained_model=own)
    for name, p in again.namedparams():
        numpy.testing.assert_array_equal(p.array, reference[name].array)


def test_bad_pretrained_model():
    with pytest.raises(ValueError, match='nonexistent'):
        VGG16(pretrained_model='nonexistent')
