"""The pieces of the in-place CPU inference path: when it applies, ReLU6
on arrays, and a batch normalization in test mode as a scale and shift.

In test mode without backprop (evaluation, ``predict``) on the CPU, the
backbone folds each batch normalization into its convolution
(:class:`~sparsemask.backbones._tf_conv.TFConv2DBNActiv`) and the decoder
and head work on arrays the pass owns, in place
(:mod:`sparsemask.links._inference`). ``chainer.config.stock_functions``
turns it off.
"""

import numpy

import chainer
import chainer.links as L


def cpu_inference(x):
    """Whether the in-place inference path applies.

    Args:
        x (~chainer.Variable or array): an input of the forward pass.

    Returns:
        bool: test mode, no backprop, a NumPy array, and not
        ``chainer.config.stock_functions``.

    """
    return (not chainer.config.train and not chainer.config.enable_backprop
            and not getattr(chainer.config, 'stock_functions', False)
            and isinstance(chainer.as_array(x), numpy.ndarray))


#: elements of the constant bounds :func:`relu6_array` compares with
RELU6_CHUNK = 1 << 16

_relu6_bounds = {}


def _bounds(dtype):
    # (zeros, sixes) of RELU6_CHUNK elements, read-only, per dtype
    bounds = _relu6_bounds.get(dtype)
    if bounds is None or bounds[0].size != RELU6_CHUNK:
        bounds = (numpy.zeros(RELU6_CHUNK, dtype),
                  numpy.full(RELU6_CHUNK, 6, dtype))
        for b in bounds:
            b.flags.writeable = False
        _relu6_bounds[dtype] = bounds
    return bounds


def relu6_array(x, out=None):
    """ReLU6 of a NumPy array, :math:`\\min(\\max(x, 0), 6)`.

    NumPy's ``maximum`` and ``minimum`` of two contiguous arrays use SIMD
    instructions, while with a scalar bound (or :func:`numpy.clip`) they do
    not: a contiguous floating point array is clipped against constant
    arrays of bounds, ``RELU6_CHUNK`` elements at a time, about 1.4 times
    faster; other arrays with scalar bounds.

    Args:
        x (numpy.ndarray): the input.
        out (numpy.ndarray): where to write (``x`` for in place); a new
            array by default.

    Returns:
        numpy.ndarray: ``out``.

    """
    if out is None:
        out = numpy.empty_like(x, order='C')
    if x.dtype.kind != 'f' or out.dtype != x.dtype or \
            not (x.flags.c_contiguous and out.flags.c_contiguous):
        y = numpy.maximum(x, 0, out=out)
        return numpy.minimum(y, 6, out=y)
    zeros, sixes = _bounds(x.dtype)
    src, dst = x.reshape(-1), out.reshape(-1)
    size = src.size
    for i in range(0, size, RELU6_CHUNK):
        j = min(size, i + RELU6_CHUNK)
        d = dst[i:j]
        numpy.maximum(src[i:j], zeros[:j - i], out=d)
        numpy.minimum(d, sixes[:j - i], out=d)
    return out


def folded_batch_normalization(bn):
    """A batch normalization in test mode as ``y = scale * x + shift``.

    Args:
        bn (~chainer.links.BatchNormalization): the link (its running
            statistics, ``gamma`` and ``beta``).

    Returns:
        tuple: ``(scale, shift)`` per channel, or None if ``bn`` is not a
        plain :class:`chainer.links.BatchNormalization`.

    """
    if type(bn) is not L.BatchNormalization:
        return None
    scale = (bn.avg_var + bn.eps) ** -0.5
    if bn.gamma is not None:
        scale = scale * bn.gamma.array
    shift = -bn.avg_mean * scale
    if bn.beta is not None:
        shift = shift + bn.beta.array
    return scale, shift


def convolution_array(x, W, b, stride, pads, dilate=(1, 1)):
    """A convolution of NumPy arrays (one group) into a C-ordered output.

    Chainer's CPU convolution returns its output channels-last under the
    ``(N, C, H, W)`` shape, which makes every later elementwise pass over
    it strided and slow. Here the ``im2col`` columns are copied in C order,
    tap by tap, and one matrix product per image writes the output
    ``(N, C_out, out_h, out_w)`` in C order. Meant for small inputs such
    as the stem's 3 channels, where the columns are small.

    Args:
        x (numpy.ndarray): ``(N, C, H, W)``.
        W (numpy.ndarray): ``(C_out, C, kh, kw)``.
        b (numpy.ndarray): ``(C_out,)`` or None.
        stride (tuple of int): ``(sy, sx)``.
        pads (tuple): ``((top, bottom), (left, right))``.
        dilate (tuple of int): ``(dy, dx)``.

    Returns:
        numpy.ndarray: ``(N, C_out, out_h, out_w)``, C-contiguous.

    """
    N, C, H, Wd = x.shape
    C_out, C_in, kh, kw = W.shape
    if C_in != C:
        raise ValueError('convolution_array: the weight {} does not match '
                         'the input channels {}'.format(W.shape, C))
    (sy, sx), (dy, dx) = stride, dilate
    (pt, pb), (pl, pr) = pads
    out_h = (H + pt + pb - (kh - 1) * dy - 1) // sy + 1
    out_w = (Wd + pl + pr - (kw - 1) * dx - 1) // sx + 1
    # the padded input split into the sy * sx phases of the stride
    # (rows a::sy, columns b::sx), so that each tap copies whole rows of
    # one phase
    qh = out_h + ((kh - 1) * dy) // sy
    qw = out_w + ((kw - 1) * dx) // sx
    phases = numpy.zeros((sy, sx, N, C, qh, qw), x.dtype)
    for a in range(sy):
        for c in range(sx):
            # phase rows r hold padded row r * sy + a: input row
            # r * sy + a - pt
            r0 = max(0, -(-(pt - a) // sy))
            r1 = min(qh, (H - 1 + pt - a) // sy + 1)
            c0 = max(0, -(-(pl - c) // sx))
            c1 = min(qw, (Wd - 1 + pl - c) // sx + 1)
            if r1 > r0 and c1 > c0:
                i0, j0 = r0 * sy + a - pt, c0 * sx + c - pl
                phases[a, c, :, :, r0:r1, c0:c1] = x[
                    :, :, i0:i0 + (r1 - r0 - 1) * sy + 1:sy,
                    j0:j0 + (c1 - c0 - 1) * sx + 1:sx]
    col = numpy.empty((N, C, kh, kw, out_h, out_w), x.dtype)
    for i in range(kh):
        a, r = (i * dy) % sy, (i * dy) // sy
        for j in range(kw):
            c, q = (j * dx) % sx, (j * dx) // sx
            col[:, :, i, j] = phases[a, c, :, :, r:r + out_h, q:q + out_w]
    y = numpy.matmul(W.reshape(C_out, -1),
                     col.reshape(N, C * kh * kw, out_h * out_w))
    if b is not None:
        y += b[:, None]
    return y.reshape(N, C_out, out_h, out_w)
