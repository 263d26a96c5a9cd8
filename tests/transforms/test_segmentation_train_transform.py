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


class _Angle(object):
    # a RandomState whose rotation draw is fixed (randint(16) -> k); the
    # crop offsets are 0
    def __init__(self, k):
        self.k = k

    def uniform(self, low, high):
        return low

    def randint(self, n):
        return self.k if n == 16 else 0


@pytest.mark.parametrize('k,turns', [(4, 1), (8, 2), (12, 3)])
def test_rotation_by_right_angles_is_rot90(k, turns):
    # a square example: the canvas keeps its size at multiples of 90
    img, label = example(h=12, w=12)
    t = SegmentationTrainTransform(MEAN, STD, 12, scale_range=(1, 1),
                                   flip=False, rotate=True)
    x, y = t((img, label), _Angle(k))
    numpy.testing.assert_allclose(
        x, numpy.rot90((img - MEAN) / STD, turns, axes=(1, 2)), atol=1e-4)
    numpy.testing.assert_array_equal(y, numpy.rot90(label, turns))


def test_oblique_rotation_marks_the_corners_ignored():
    img = numpy.full((3, 20, 20), 200, numpy.float32)
    label = numpy.ones((20, 20), numpy.int32)
    t = SegmentationTrainTransform(MEAN, STD, 40, scale_range=(1, 1),
                                   flip=False, rotate=True)
    x, y = t((img, label), _Angle(2))      # 45 degrees
    # the canvas grows to hold the rotated square (side 20 * sqrt 2 ~ 28);
    # then padded to the crop with ignored pixels
    assert y.shape == (40, 40)
    inside = y == 1
    assert 0.9 * 400 < inside.sum() < 1.1 * 400
    assert set(numpy.unique(y)) == {-1, 1}
    # corners of the canvas: the mean pixel (0 after normalisation)
    assert y[0, 0] == -1 and numpy.allclose(x[:, 0, 0], 0)
    centre = x[:, 14, 14]
    numpy.testing.assert_allclose(centre, ((200 - MEAN) / STD)[:, 0, 0],
                                  rtol=1e-4)


def test_without_rotation_the_draws_are_unchanged():
    # rotate=False draws nothing more: the outputs of a seed are those
    # of a transform that never heard of rotations
    img, label = example()
    plain = SegmentationTrainTransform(MEAN, STD, 16)
    off = SegmentationTrainTransform(MEAN, STD, 16, rotate=False)
    a = plain((img, label), numpy.random.RandomState(3))
    b = off((img, label), numpy.random.RandomState(3))
    for u, v in zip(a, b):
        numpy.testing.assert_array_equal(u, v)
    # with rotations, each of the 16 angles comes up
    on = SegmentationTrainTransform(MEAN, STD, 16, rotate=True)
    rng = numpy.random.RandomState(0)
    shapes = set()
    for _ in range(64):
        x, y = on((img, label), rng)
        shapes.add(x.shape)
        assert set(numpy.unique(y)) <= set(range(-1, 5))
    assert shapes == {(3, 16, 16)}
