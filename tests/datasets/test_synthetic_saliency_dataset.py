import time

import numpy
import pytest

from sparsemask.datasets import MSRABSaliencyDataset
from sparsemask.datasets import SyntheticSaliencyDataset


def test_deterministic_and_seeded():
    a, b = SyntheticSaliencyDataset(4, seed=0), \
        SyntheticSaliencyDataset(4, seed=0)
    for i in (3, 0, 2, 1):  # order does not matter
        for x, y in zip(a[i], b[i]):
            numpy.testing.assert_array_equal(x, y)
    c = SyntheticSaliencyDataset(4, seed=1)
    for i in range(4):
        assert not numpy.array_equal(a[i][0], c[i][0])
        assert not numpy.array_equal(a[i][1], c[i][1])
    # examples of one set differ
    assert not numpy.array_equal(a[0][1], a[1][1])


def test_types_and_labels():
    d = SyntheticSaliencyDataset(40, size=(48, 40))
    assert len(d) == 40
    assert d.label_names == MSRABSaliencyDataset.label_names
    fractions = []
    for i in range(len(d)):
        img, label = d[i]
        assert img.shape == (3, 48, 40) and img.dtype == numpy.float32
        assert label.shape == (48, 40) and label.dtype == numpy.int32
        assert img.min() >= 0 and img.max() <= 255
        assert set(numpy.unique(label)) == {0, 1}
        fractions.append(label.mean())
    # objects of reasonable size: neither specks nor the whole image
    assert 0.03 < numpy.mean(fractions) < 0.4
    with pytest.raises(IndexError):
        d[40]


def separation(values, bits):
    """The fraction of values classified right by the best threshold."""
    best = 0
    for t in numpy.percentile(values, numpy.arange(1, 100)):
        acc = ((values > t) == bits).mean()
        best = max(best, acc, 1 - acc)
    return best


def test_salient_objects_differ_by_colour_contrast_not_brightness():
    d = SyntheticSaliencyDataset(60, seed=5)
    saturation, brightness, labels = [], [], []
    for i in range(len(d)):
        img, label = d[i]
        saturation.append((img.max(axis=0) - img.min(axis=0)).ravel())
        brightness.append(img.mean(axis=0).ravel())
        labels.append(label.ravel().astype(bool))
    saturation, brightness, labels = map(
        numpy.concatenate, (saturation, brightness, labels))
    assert saturation[labels].mean() > 90
    assert saturation[~labels].mean() < 40
    # the colour contrast of a pixel tells saliency nearly surely, its
    # brightness far less
    assert separation(saturation, labels) > 0.97
    assert separation(brightness, labels) < 0.9


def test_is_fast():
    d = SyntheticSaliencyDataset(50)
    d[0]
    start = time.perf_counter()
    for i in range(50):
        d[i]
    # about 1 ms per 64x64 example; generous for a busy machine
    assert (time.perf_counter() - start) / 50 < 0.02
