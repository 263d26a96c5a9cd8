import random

import numpy
import pytest

from sparsemask.transforms import SegmentationTrainTransform


MEAN = numpy.array([100, 110, 120], numpy.float32).reshape(3, 1, 1)
STD = numpy.array([50, 60, 70], numpy.float32).reshape(3, 1, 1)


def example(h=20, w=30, seed=0):
    rng = numpy.random.RandomState(seed)
    img = rng.uniform(0, 255, (3, h, w)).astype(numpy.float32)
    label = rng.randint(-1, 5, (h, w)).astype(numpy.int32)
    return img, label


def test_identity_settings_only_normalise():
    img, label = example()
    t = SegmentationTrainTransform(MEAN, STD, (20, 30), scale_range=(1, 1),
                                   flip=False)
    x, y = t((img, label), numpy.random.RandomState(0))
    numpy.testing.assert_allclose(x, (img - MEAN) / STD, rtol=1e-6)
    numpy.testing.assert_array_equal(y, label)


def test_same_seed_same_output_and_no_global_randomness():
    t = SegmentationTrainTransform(MEAN, STD, 16)
    state, pystate = numpy.random.get_state(), random.getstate()
    a = t(example(), numpy.random.RandomState(5))
    b = t(example(), numpy.random.RandomState(5))
    c = t(example(), numpy.random.RandomState(6))
    for u, v in zip(a, b):
        numpy.testing.assert_array_equal(u, v)
    assert not numpy.array_equal(a[0], c[0])
    assert numpy.array_equal(numpy.random.get_state()[1], state[1])
    assert random.getstate() == pystate


@pytest.mark.parametrize('scale', [0.5, 1.0, 2.0])
def test_shapes_padding_and_label_values(scale):
    img, label = example(12, 10)
    t = SegmentationTrainTransform(MEAN, STD, (16, 24),
                                   scale_range=(scale, scale))
    for seed in range(5):
        x, y = t((img, label), numpy.random.RandomState(seed))
        assert x.shape == (3, 16, 24) and x.dtype == numpy.float32
        assert y.shape == (16, 24) and y.dtype == numpy.int32
        # nearest resize: no new label values
        assert set(numpy.unique(y)) <= set(numpy.unique(label)) | {-1}
        if scale * 10 < 24:
            # padded columns: ignore label, zero (the mean) in the image
            pad = numpy.all(x == 0, axis=(0, 1))
            assert pad.any()
            assert (y[:, pad] == -1).all()


def test_flip_flips_image_and_label_together():
    img, label = example()
    t = SegmentationTrainTransform(MEAN, STD, (20, 30), scale_range=(1, 1))
    ref = (img - MEAN) / STD
    flipped = 0
    for seed in range(20):
        x, y = t((img, label), numpy.random.RandomState(seed))
        if numpy.allclose(x, ref[:, :, ::-1], rtol=1e-6):
            numpy.testing.assert_array_equal(y, label[:, ::-1])
            flipped += 1
        else:
            numpy.testing.assert_allclose(x, ref, rtol=1e-6)
            numpy.testing.assert_array_equal(y, label)
    assert 0 < flipped < 20


def test_bad_scale_range():
    with pytest.raises(ValueError, match='scale_range'):
        SegmentationTrainTransform(MEAN, STD, 8, scale_range=(2, 1))
