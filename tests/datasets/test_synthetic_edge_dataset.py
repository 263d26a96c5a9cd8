import time

import numpy
import pytest

from sparsemask.datasets import BSDS500EdgeDataset
from sparsemask.datasets import SyntheticEdgeDataset


def expected_label(boundaries, eta):
    """The HED/RCF target, written out (as BSDS500's test does)."""
    counts = numpy.sum(boundaries, axis=0)
    label = numpy.where(counts == 0, 0, -1)
    label[counts / len(boundaries) >= eta] = 1
    return label.astype(numpy.int32)


def test_deterministic_and_seeded():
    a, b = SyntheticEdgeDataset(4, seed=0), SyntheticEdgeDataset(4, seed=0)
    for i in (2, 0, 3, 1):
        for x, y in zip(a[i], b[i]):
            numpy.testing.assert_array_equal(x, y)
        for x, y in zip(a.get_boundaries(i), b.get_boundaries(i)):
            numpy.testing.assert_array_equal(x, y)
    c = SyntheticEdgeDataset(4, seed=1)
    for i in range(4):
        assert not numpy.array_equal(a[i][0], c[i][0])
        assert not numpy.array_equal(a.get_boundaries(i)[0],
                                     c.get_boundaries(i)[0])
    # eta changes the label only, not the image nor the boundaries
    e = SyntheticEdgeDataset(4, seed=0, eta=1.0)
    numpy.testing.assert_array_equal(a[1][0], e[1][0])
    for x, y in zip(a.get_boundaries(1), e.get_boundaries(1)):
        numpy.testing.assert_array_equal(x, y)


@pytest.mark.parametrize('n_annotators', [1, 3, 5])
@pytest.mark.parametrize('eta', [0.5, 1.0, 0.3])
def test_label_follows_the_eta_rule_of_its_boundaries(n_annotators, eta):
    d = SyntheticEdgeDataset(20, size=(40, 48), seed=2,
                             n_annotators=n_annotators, eta=eta)
    assert d.label_names == BSDS500EdgeDataset.label_names
    values = set()
    for i in range(len(d)):
        img, label = d[i]
        assert img.shape == (3, 40, 48) and img.dtype == numpy.float32
        assert img.min() >= 0 and img.max() <= 255
        assert label.shape == (40, 48) and label.dtype == numpy.int32
        boundaries = d.get_boundaries(i)
        assert len(boundaries) == n_annotators
        for b in boundaries:
            assert b.dtype == numpy.uint8 and b.shape == (40, 48)
            assert set(numpy.unique(b)) <= {0, 1}
        numpy.testing.assert_array_equal(label,
                                         expected_label(boundaries, eta))
        values |= set(numpy.unique(label).tolist())
    if n_annotators == 1 or eta * n_annotators <= 1:
        # one vote is enough: nothing ignored
        assert values == {0, 1}
    else:
        assert values == {-1, 0, 1}


def test_annotators_differ_on_faint_boundaries_only():
    d = SyntheticEdgeDataset(30, seed=4, n_annotators=4, noise=2.0)
    differ = n_steps = 0
    for i in range(len(d)):
        img, label = d[i]
        boundaries = numpy.array(d.get_boundaries(i))
        counts = boundaries.sum(axis=0)
        differ += ((counts > 0) & (counts < 4)).any()
        # a strong step to the right neighbour (beyond noise and texture)
        # is a boundary of high contrast: every annotator drew it
        step = numpy.abs(numpy.diff(img, axis=2)).max(axis=0) > 80
        n_steps += step.sum()
        assert (counts[:, :-1][step] == 4).all()
        assert (label[:, :-1][step] == 1).all()
    assert n_steps > 100
    # the annotators disagree in most images
    assert differ > 20


def test_boundaries_are_one_pixel_outlines():
    # a drawn pixel differs from its right or lower neighbour in the image
    # by more than the noise would explain, for most drawn pixels
    d = SyntheticEdgeDataset(20, seed=6, noise=0.0)
    for i in range(len(d)):
        img = d[i][0]
        union = numpy.array(d.get_boundaries(i)).max(axis=0).astype(bool)
        jump = numpy.zeros(union.shape, bool)
        jump[:, :-1] |= numpy.abs(numpy.diff(img, axis=2)).max(axis=0) > 1.5
        jump[:-1] |= numpy.abs(numpy.diff(img, axis=1)).max(axis=0) > 1.5
        # texture of amplitude 3 moves a pixel by at most ~1.2 levels
        assert (jump[union]).mean() > 0.95
        assert union.mean() < 0.25


def test_bad_arguments():
    with pytest.raises(ValueError, match='n_annotators'):
        SyntheticEdgeDataset(2, n_annotators=0)
    with pytest.raises(ValueError, match='eta must be a number in'):
        SyntheticEdgeDataset(2, eta=0)
    with pytest.raises(IndexError):
        SyntheticEdgeDataset(2)[2]
    with pytest.raises(IndexError):
        SyntheticEdgeDataset(2).get_boundaries(-1)


def test_is_fast():
    d = SyntheticEdgeDataset(50)
    d[0]
    start = time.perf_counter()
    for i in range(50):
        d[i]
    assert (time.perf_counter() - start) / 50 < 0.02
