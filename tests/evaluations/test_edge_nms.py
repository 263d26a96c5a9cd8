import sys

import numpy
import pytest

pytest.importorskip('pyEdgeEval')

from pyEdgeEval.preprocess import fast_nms  # NOQA
from scipy.ndimage import gaussian_filter  # NOQA

from sparsemask.evaluations import edge_nms  # NOQA


def _blurred_line(h=30, w=40, x=20, sigma=1.5):
    line = numpy.zeros((h, w))
    line[:, x] = 1
    prob = gaussian_filter(line, sigma)
    return prob / prob.max()


def test_equals_fast_nms():
    rng = numpy.random.RandomState(0)
    prob = numpy.clip(_blurred_line() + rng.uniform(0, 0.2, (30, 40)), 0, 1)
    out = edge_nms(prob)
    assert out.dtype == numpy.float32
    assert out.shape == prob.shape
    expected = fast_nms(prob.copy(), r=1, s=5, m=1.01)
    numpy.testing.assert_array_equal(out, expected.astype(numpy.float32))
    out = edge_nms(prob.astype(numpy.float32))
    expected = fast_nms(prob.astype(numpy.float32), r=1, s=5, m=1.01)
    numpy.testing.assert_array_equal(out, expected.astype(numpy.float32))


def test_thins_a_blurred_line_to_one_pixel():
    prob = _blurred_line(x=20)
    assert ((prob[15] > 0.1).sum()) >= 3  # wide before
    out = edge_nms(prob)
    # away from the 5 damped pixels of the border, one pixel a row, on the
    # line
    for y in range(5, 25):
        assert numpy.flatnonzero(out[y]).tolist() == [20], y
    assert out[15, 20] > 0.5
    assert numpy.all(out >= 0)


def test_errors(monkeypatch):
    with pytest.raises(ValueError):
        edge_nms(numpy.zeros((2, 3, 4)))
    with pytest.raises(ValueError):
        edge_nms(numpy.zeros((3, 4), dtype=numpy.uint8))
    monkeypatch.setitem(sys.modules, 'pyEdgeEval.preprocess', None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[tasks\]"'):
        edge_nms(numpy.zeros((3, 4)))
