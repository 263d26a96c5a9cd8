import numpy
import pytest

from sparsemask.utils import inference
from sparsemask.utils.inference import relu6_array


def reference(x):
    return numpy.clip(x.astype(numpy.float64), 0, 6)


@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
@pytest.mark.parametrize('size', [1, 7, 16, 33, 100])
def test_chunks_of_the_bounds(monkeypatch, dtype, size):
    # sizes below, at and past a multiple of the chunk (here 16), in place
    # and into a new array
    monkeypatch.setattr(inference, 'RELU6_CHUNK', 16)
    rng = numpy.random.RandomState(size)
    x = (rng.randn(size) * 5).astype(dtype)
    x[::5] = 6
    x[1::7] = 0
    new = relu6_array(x)
    assert new is not x and new.dtype == dtype
    numpy.testing.assert_array_equal(new, reference(x))
    y = x.copy()
    assert relu6_array(y, out=y) is y
    numpy.testing.assert_array_equal(y, reference(x))


def test_shapes_and_special_values():
    x = numpy.array([[-numpy.inf, -1e30, -0.0, 1e-40],
                     [5.999, 6.001, 1e30, numpy.inf]], numpy.float32)
    x = numpy.broadcast_to(x, (3, 2, 4)).copy()
    got = relu6_array(x)
    assert got.shape == x.shape
    numpy.testing.assert_array_equal(got, reference(x))
    nan = relu6_array(numpy.array([numpy.nan, 1.], numpy.float32))
    assert numpy.isnan(nan[0]) and nan[1] == 1


def test_arrays_that_are_not_contiguous_or_float():
    rng = numpy.random.RandomState(0)
    x = (rng.randn(6, 10) * 5).astype(numpy.float32)
    view = x[:, ::2]
    numpy.testing.assert_array_equal(relu6_array(view), reference(view))
    out = numpy.empty((10, 6), numpy.float32).T
    relu6_array(x, out=out)
    numpy.testing.assert_array_equal(out, reference(x))
    ints = numpy.arange(-3, 10)
    numpy.testing.assert_array_equal(relu6_array(ints), reference(ints))


def test_the_bounds_are_not_writable():
    zeros, sixes = inference._bounds(numpy.dtype(numpy.float32))
    assert not zeros.flags.writeable and not sixes.flags.writeable
    assert zeros.sum() == 0 and (sixes == 6).all()


@pytest.mark.parametrize('ksize,stride,dilate,pads', [
    ((3, 3), (2, 2), (1, 1), ((0, 1), (0, 1))),     # the stem, TF 'SAME'
    ((3, 3), (1, 1), (1, 1), ((1, 1), (1, 1))),
    ((1, 3), (1, 2), (1, 1), ((0, 0), (2, 1))),
    ((3, 2), (3, 1), (2, 1), ((2, 0), (0, 0))),
])
@pytest.mark.parametrize('bias', [False, True])
def test_convolution_array_is_chainer_convolution(ksize, stride, dilate,
                                                  pads, bias):
    import chainer.functions as F
    from sparsemask.utils.inference import convolution_array
    rng = numpy.random.RandomState(4)
    x = rng.randn(2, 3, 11, 10)
    W = rng.randn(5, 3, *ksize)
    b = rng.randn(5) if bias else None
    got = convolution_array(x, W, b, stride, pads, dilate)
    padded = numpy.pad(x, ((0, 0), (0, 0)) + pads)
    ref = F.convolution_2d(padded, W, b, stride=stride, dilate=dilate).array
    assert got.shape == ref.shape and got.flags.c_contiguous
    numpy.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match='input channels 4'):
        convolution_array(rng.randn(1, 4, 5, 5), W, b, stride, pads, dilate)
