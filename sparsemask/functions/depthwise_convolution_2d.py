"""Depthwise 2D convolution computed without ``im2col`` on the CPU.

Chainer computes a grouped convolution on the CPU by building the
``(N, C, kh, kw, out_h, out_w)`` ``im2col`` tensor and a batched matrix
product of one-row matrices, after the padding of TensorFlow's ``'SAME'``
mode was copied by a separate :func:`chainer.functions.pad`. Here, over
blocks of channels small enough to stay in the CPU cache:

* the forward pass copies the input, a block of channels at a time, into a
  zero-padded scratch buffer (split into the ``sx`` phases of the column
  stride) and computes each band of ``B`` output rows of a channel as
  ``kw`` products of a ``(B, Kb)`` band matrix of the filter and a
  ``(Kb, out_w)`` window of the buffer (see :class:`_Bands`), which
  NumPy's batched :func:`numpy.matmul` hands to BLAS;
* the gradient with respect to the input adds the transposed taps, one
  multiply-add of a shifted run per tap, into a zero-padded buffer split
  into the ``sy * sx`` phases of the stride (rows ``a::sy``, columns
  ``b::sx``, so that every tap reads one contiguous run of a phase,
  ``(out_h - 1) * Wq + out_w`` long, ``Wq`` the phase's width) and copies
  its interior out;
* the gradient with respect to the weight is, per tap, the per-channel
  inner product of the output gradient and that tap's run.

The three computations are :class:`~chainer.FunctionNode` s whose backwards
are each other (and :func:`chainer.functions.sum` for the bias), so the
function is differentiable twice.
"""

from __future__ import division

import contextlib

import numpy

import chainer
from chainer import function_node
import chainer.functions as F
from chainer.utils import type_check

from sparsemask.functions._check_arrays import check_arrays

#: bytes of scratch (the padded input, an output block and a temporary)
#: that a block of channels may take: about half a core's L2 cache
BLOCK_BYTES = 1 << 20


#: NumPy's ufunc buffer size (elements) while the kernels run. With the
#: default (8192) NumPy copies the operands of an operation on a block whose
#: rows (one channel's run) are shorter than the buffer through its buffers,
#: which makes the multiply-adds several times slower; a buffer shorter
#: than the rows lets them run on the arrays themselves.
UFUNC_BUFFER_SIZE = 64


@contextlib.contextmanager
def _small_ufunc_buffers():
    old = numpy.setbufsize(UFUNC_BUFFER_SIZE)
    try:
        yield
    finally:
        numpy.setbufsize(old)


def _pair(x):
    if isinstance(x, (tuple, list)):
        if len(x) != 2:
            raise ValueError('expected an int or a pair, not {!r}'.format(x))
        return int(x[0]), int(x[1])
    return int(x), int(x)


def _pads(pad):
    """``((top, bottom), (left, right))`` of an int, a pair of ints or a pair
    of pairs."""
    if isinstance(pad, (tuple, list)) and len(pad) == 2 and all(
            isinstance(p, (tuple, list)) for p in pad):
        pads = (_pair(pad[0]), _pair(pad[1]))
    else:
        ph, pw = _pair(pad)
        pads = ((ph, ph), (pw, pw))
    if min(pads[0] + pads[1]) < 0:
        raise ValueError('pads must not be negative, got {!r}'.format(pad))
    return pads


def _axis(size, ksize, stride, pad, dilate):
    """The geometry of one spatial axis.

    Returns:
        tuple: ``(out, q, taps, phases)``: the output size; the size of one
        phase of the padded input; per kernel index ``(phase, offset)``, the
        phase the tap reads and its offset there; per phase ``a``
        ``(lo, hi, start)``, the positions ``lo:hi`` of the phase that hold
        the input ``start::stride``.

    """
    before, after = pad
    padded = size + before + after
    out = (padded - (ksize - 1) * dilate - 1) // stride + 1
    if out <= 0:
        raise ValueError(
            'depthwise_convolution_2d: the output would be empty (input '
            '{}, padding {}, kernel {}, dilation {})'.format(
                size, pad, ksize, dilate))
    q = -(-padded // stride)
    taps = tuple(((k * dilate) % stride, (k * dilate) // stride)
                 for k in range(ksize))
    phases = []
    for a in range(stride):
        # positions i of phase a hold padded index i * stride + a, input
        # index i * stride + a - before
        lo = max(0, -(-(before - a) // stride))
        hi = min(q, (size - 1 + before - a) // stride + 1)
        phases.append((lo, max(lo, hi), lo * stride + a - before))
    return out, q, taps, tuple(phases)


class _Geometry(object):
    """Where the taps of a depthwise convolution read, and the scratch."""

    def __init__(self, in_size, ksize, stride, pad, dilate):
        self.in_size = in_size
        self.ksize = ksize
        self.stride = stride
        (self.out_h, self.qh, taps_h, phases_h) = _axis(
            in_size[0], ksize[0], stride[0], pad[0], dilate[0])
        (self.out_w, self.qw, taps_w, phases_w) = _axis(
            in_size[1], ksize[1], stride[1], pad[1], dilate[1])
        sy, sx = stride
        qw = self.qw
        #: per tap (row-major over the kernel): (phase, flat offset)
        self.taps = tuple(
            (ah * sx + aw, oh * qw + ow)
            for ah, oh in taps_h for aw, ow in taps_w)
        #: the run a tap reads, in elements
        self.run = (self.out_h - 1) * qw + self.out_w
        #: per phase: (phase, slices of the phase, slices of the input)
        copies = []
        for ah, (hlo, hhi, h0) in enumerate(phases_h):
            for aw, (wlo, whi, w0) in enumerate(phases_w):
                if hhi > hlo and whi > wlo:
                    copies.append((
                        ah * sx + aw, (slice(hlo, hhi), slice(wlo, whi)),
                        (slice(h0, h0 + (hhi - hlo - 1) * sy + 1, sy),
                         slice(w0, w0 + (whi - wlo - 1) * sx + 1, sx))))
        self.copies = tuple(copies)
        self.n_phases = sy * sx

    def block(self, channels, itemsize):
        """Channels per block."""
        per_channel = itemsize * (self.n_phases * self.qh * self.qw
                                  + 2 * self.out_h * self.qw)
        return max(1, min(channels, BLOCK_BYTES // per_channel))

    def phased(self, cb, dtype):
        """A zero scratch buffer ``(cb, phases, qh * qw)``."""
        return numpy.zeros((cb, self.n_phases, self.qh * self.qw), dtype)

    def fill(self, buf, x):
        """Copies ``x`` ``(c, H, W)`` into the interior of ``buf``."""
        c = x.shape[0]
        grid = buf[:c].reshape(c, self.n_phases, self.qh, self.qw)
        for phase, dst, src in self.copies:
            grid[(slice(None), phase) + dst] = x[(slice(None),) + src]

    def extract(self, buf, out):
        """Copies the interior of ``buf`` into ``out`` ``(c, H, W)``."""
        c = out.shape[0]
        grid = buf[:c].reshape(c, self.n_phases, self.qh, self.qw)
        for phase, dst, src in self.copies:
            out[(slice(None),) + src] = grid[(slice(None), phase) + dst]


def _c_contiguous(a):
    """``a`` as a C-contiguous array, copied a few rows at a time.

    Chainer's own convolutions return channels-last arrays under their
    ``(N, C, H, W)`` shape; NumPy copies such an array to C order several
    times slower than a few rows at a time, which stay in the cache.
    """
    if a.flags.c_contiguous:
        return a
    N, C, H, W = a.shape
    out = numpy.empty(a.shape, a.dtype)
    rows = max(1, 8192 // max(1, C * W))
    for n in range(N):
        for h in range(0, H, rows):
            out[n, :, h:h + rows] = a[n, :, h:h + rows]
    return out


#: output rows per band matrix of the forward pass (see :class:`_Bands`)
ROW_BLOCK = 4


class _Bands(object):
    """The forward pass as banded matrix products.

    A block of ``B`` output rows of one channel, ``(B, out_w)``, is
    ``sum_j T_j @ X_j``: ``X_j`` is the ``(Kb, out_w)`` window of the
    zero-padded input that the column tap ``j`` reads (``Kb`` the rows the
    block reads, ``(B - 1) * sy + (kh - 1) * dy + 1``; a strided view, no
    copy) and ``T_j`` the ``(B, Kb)`` band matrix holding the column ``j``
    of the filter, ``T_j[o, o * sy + i * dy] = W[i, j]``. NumPy's batched
    :func:`numpy.matmul` hands each product to BLAS: about twice the
    multiply-adds of the taps, but several times faster than one NumPy
    pass per tap. The row stride and dilation are in the band; the column
    stride reads the padded input split into its ``sx`` column phases.
    """

    def __init__(self, in_size, ksize, stride, pad, dilate, row_block):
        H, Wd = in_size
        kh, kw = ksize
        sy, sx = stride
        dy, dx = dilate
        (pt, pb), (pl, pr) = pad
        self.ksize = ksize
        self.stride = stride
        self.dilate = dilate
        self.out_h = (H + pt + pb - (kh - 1) * dy - 1) // sy + 1
        self.out_w = (Wd + pl + pr - (kw - 1) * dx - 1) // sx + 1
        if self.out_h <= 0 or self.out_w <= 0:
            raise ValueError(
                'depthwise_convolution_2d: the output would be empty (input '
                '{}, padding {}, kernel {}, dilation {})'.format(
                    in_size, pad, ksize, dilate))
        B = self.row_block = min(row_block, self.out_h)
        self.n_full = self.out_h // B
        self.n_blocks = -(-self.out_h // B)
        self.band = (B - 1) * sy + (kh - 1) * dy + 1
        #: padded rows: those the last block reads
        self.rows = (self.n_blocks - 1) * B * sy + self.band
        #: columns of a phase: those the last output column reads
        self.qw = self.out_w + ((kw - 1) * dx) // sx
        #: per column tap: (phase, first column)
        self.taps = tuple(((j * dx) % sx, (j * dx) // sx) for j in range(kw))
        copies = []
        r_hi = min(self.rows, pt + H)
        for a in range(sx):
            # phase a holds the padded columns m * sx + a, input columns
            # m * sx + a - pl
            m_lo = max(0, -(-(pl - a) // sx))
            m_hi = min(self.qw, (Wd - 1 + pl - a) // sx + 1)
            if m_hi > m_lo and r_hi > pt:
                c0 = m_lo * sx + a - pl
                copies.append((
                    (a, slice(pt, r_hi), slice(m_lo, m_hi)),
                    (slice(0, r_hi - pt),
                     slice(c0, c0 + (m_hi - m_lo - 1) * sx + 1, sx))))
        self.copies = tuple(copies)

    def matrices(self, W):
        """The band matrices ``(C, kw, B, Kb)`` of the filters ``W``."""
        C = W.shape[0]
        kh, kw = self.ksize
        sy = self.stride[0]
        dy = self.dilate[0]
        B = self.row_block
        T = numpy.zeros((C, kw, B, self.band), W.dtype)
        o = numpy.arange(B)
        w = W.reshape(C, kh, kw)
        for i in range(kh):
            T[:, :, o, o * sy + i * dy] = w[:, i, :, None]
        return T

    def block(self, channels, itemsize):
        """Channels per block."""
        sx = self.stride[1]
        per_channel = itemsize * (sx * self.rows * self.qw
                                  + 2 * self.n_blocks * self.row_block
                                  * self.out_w)
        return max(1, min(channels, BLOCK_BYTES // per_channel))

    def windows(self, buf, n_blocks, first_block=0):
        """Per column tap, the windows ``(cb, n_blocks, Kb, out_w)`` of the
        padded input ``buf`` ``(cb, sx, rows, qw)`` that the bands
        ``first_block:first_block + n_blocks`` read (read-only views)."""
        s = buf.strides
        step = self.row_block * self.stride[0]
        out = []
        for a, m0 in self.taps:
            offset = (a * s[1] + first_block * step * s[2] + m0 * s[3])
            view = numpy.ndarray(
                (buf.shape[0], n_blocks, self.band, self.out_w), buf.dtype,
                buffer=buf, offset=offset,
                strides=(s[0], step * s[2], s[2], s[3]))
            view.flags.writeable = False
            out.append(view)
        return out


def _products(T, windows, out, tmp):
    """``out = sum_j T[:, j] @ windows[j]``, ``tmp`` a scratch of the
    shape of ``out``."""
    for j, window in enumerate(windows):
        if j == 0:
            numpy.matmul(T[:, j, None], window, out=out)
        else:
            numpy.matmul(T[:, j, None], window, out=tmp)
            out += tmp


def _forward(x, W, b, stride, pad, dilate, row_block=None):
    """``y = conv(x, W) + b``, all NumPy arrays, as banded matrix
    products (see :class:`_Bands`)."""
    N, C, H, Wd = x.shape
    x = _c_contiguous(x)
    bands = _Bands((H, Wd), W.shape[2:], stride, pad, dilate,
                   ROW_BLOCK if row_block is None else row_block)
    oh, ow, B = bands.out_h, bands.out_w, bands.row_block
    n_full = bands.n_full
    T = bands.matrices(W)
    y = numpy.empty((N, C, oh, ow), x.dtype)
    cb = bands.block(C, x.dtype.itemsize)
    buf = numpy.zeros((cb, stride[1], bands.rows, bands.qw), x.dtype)
    tmp = numpy.empty((cb, n_full, B, ow), x.dtype)
    rest = oh - n_full * B
    if rest:
        last = numpy.empty((cb, 1, B, ow), x.dtype)
        last_tmp = numpy.empty_like(last)
    windows = bands.windows(buf, n_full)
    if rest:
        last_windows = bands.windows(buf, 1, n_full)
    for n in range(N):
        for c0 in range(0, C, cb):
            c1 = min(C, c0 + cb)
            c = c1 - c0
            for dst, src in bands.copies:
                buf[(slice(None, c),) + dst] = x[(n, slice(c0, c1)) + src]
            Tc = T[c0:c1]
            out = y[n, c0:c1, :n_full * B].reshape(c, n_full, B, ow)
            _products(Tc, [w[:c] for w in windows], out, tmp[:c])
            if rest:
                _products(Tc, [w[:c] for w in last_windows], last[:c],
                          last_tmp[:c])
                y[n, c0:c1, n_full * B:] = last[:c, 0, :rest]
            if b is not None:
                # rows of whole channels: NumPy's broadcast loop pays per row
                block = y[n, c0:c1].reshape(c, oh * ow)
                block += b[c0:c1, None]
    return y


def _output_grad_buffer(geo, cb, dtype):
    # (cb, out_h, qw), zero in the qw - out_w columns past each output row
    return numpy.zeros((cb, geo.out_h, geo.qw), dtype)


def _transposed_pads(geo, pad, dilate):
    """For stride 1, the pads with which the forward of the flipped filters
    over ``gy`` is the gradient with respect to ``x``; None where a pad
    would be negative (a pad beyond the dilated kernel) or the stride is
    not 1."""
    if geo.stride != (1, 1):
        return None
    pads = []
    for axis, k in enumerate(geo.ksize):
        before, after = pad[axis]
        reach = (k - 1) * dilate[axis]
        if before > reach or after > reach:
            return None
        pads.append((reach - before, reach - after))
    return tuple(pads)


def _grad_x(W, gy, geo, pad=None, dilate=None):
    """The gradient of :func:`_forward` with respect to ``x``.

    With stride 1 it is the forward (banded matrix products) of the
    flipped filters over ``gy`` padded by the kernel's reach minus the
    pads: ``gx[h] = sum_i W[i] gy[h + pt - i * dy]``. Otherwise each tap
    adds its shifted run into a phased buffer.
    """
    pads = None if pad is None else _transposed_pads(geo, pad, dilate)
    if pads is not None:
        return _forward(gy, W[:, :, ::-1, ::-1], None, (1, 1), pads, dilate)
    N, C = gy.shape[:2]
    H, Wd = geo.in_size
    ow, run = geo.out_w, geo.run
    gy = _c_contiguous(gy)
    w = W.reshape(C, -1)
    gx = numpy.empty((N, C, H, Wd), gy.dtype)
    cb = geo.block(C, gy.dtype.itemsize)
    g = _output_grad_buffer(geo, min(cb, C), gy.dtype)
    buf = geo.phased(min(cb, C), gy.dtype)
    tmp = numpy.empty((cb, run), gy.dtype)
    for n in range(N):
        for c0 in range(0, C, cb):
            c1 = min(C, c0 + cb)
            c = c1 - c0
            g[:c, :, :ow] = gy[n, c0:c1]
            src = g[:c].reshape(c, -1)[:, :run]
            buf[:c].fill(0)
            t = tmp[:c]
            for k, (phase, off) in enumerate(geo.taps):
                numpy.multiply(src, w[c0:c1, k:k + 1], out=t)
                buf[:c, phase, off:off + run] += t
            geo.extract(buf, gx[n, c0:c1])
    return gx


def _grad_w(x, gy, geo, w_dtype):
    """The gradient of :func:`_forward` with respect to ``W``."""
    N, C = x.shape[:2]
    ow, run = geo.out_w, geo.run
    kh, kw = geo.ksize
    x = _c_contiguous(x)
    gy = _c_contiguous(gy)
    gW = numpy.zeros((C, kh * kw), w_dtype)
    cb = geo.block(C, x.dtype.itemsize)
    g = _output_grad_buffer(geo, min(cb, C), gy.dtype)
    buf = geo.phased(min(cb, C), x.dtype)
    for n in range(N):
        for c0 in range(0, C, cb):
            c1 = min(C, c0 + cb)
            c = c1 - c0
            geo.fill(buf, x[n, c0:c1])
            g[:c, :, :ow] = gy[n, c0:c1]
            src = g[:c].reshape(c, 1, -1)[:, :, :run]
            for k, (phase, off) in enumerate(geo.taps):
                # per-channel inner products, (c, 1, run) @ (c, run, 1)
                gW[c0:c1, k] += numpy.matmul(
                    src, buf[:c, phase, off:off + run, None])[:, 0, 0]
    return gW.reshape(C, 1, kh, kw)


class _DepthwiseNode(function_node.FunctionNode):
    # the shared parameters of the three nodes

    def __init__(self, stride, pad, dilate):
        self.stride = stride
        self.pad = pad
        self.dilate = dilate

    def _like(self, cls, *args):
        return cls(self.stride, self.pad, self.dilate, *args)

    def _expect_size(self, x_type, w_type):
        for axis in (0, 1):
            before, after = self.pad[axis]
            type_check.expect(
                x_type.shape[2 + axis] + before + after
                >= (w_type.shape[2 + axis] - 1) * self.dilate[axis] + 1)


class DepthwiseConvolution2D(_DepthwiseNode):
    """Depthwise convolution ``y = conv(x, W) + b`` on the CPU.

    See :func:`depthwise_convolution_2d`. Inputs ``x`` ``(N, C, H, W)``,
    ``W`` ``(C, 1, kh, kw)`` and optionally ``b`` ``(C,)``, of one floating
    point dtype.

    Args:
        stride (tuple of ints): ``(sy, sx)``.
        pad (tuple of tuples of ints): ``((top, bottom), (left, right))``.
        dilate (tuple of ints): ``(dy, dx)``.

    """

    def check_type_forward(self, in_types):
        n_in = in_types.size()
        type_check.expect(2 <= n_in, n_in <= 3)
        x_type, w_type = in_types[:2]
        type_check.expect(
            x_type.dtype.kind == 'f',
            w_type.dtype == x_type.dtype,
            x_type.ndim == 4,
            w_type.ndim == 4,
            w_type.shape[0] == x_type.shape[1],
            w_type.shape[1] == 1,
        )
        self._expect_size(x_type, w_type)
        if type_check.eval(n_in) == 3:
            b_type = in_types[2]
            type_check.expect(
                b_type.dtype == x_type.dtype,
                b_type.ndim == 1,
                b_type.shape[0] == w_type.shape[0],
            )

    def forward_cpu(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs[:2]
        b = inputs[2] if len(inputs) == 3 else None
        with _small_ufunc_buffers():
            return _forward(x, W, b, self.stride, self.pad, self.dilate),

    def backward(self, indexes, grad_outputs):
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        ret = []
        if 0 in indexes:
            ret.append(self._like(
                DepthwiseConvolution2DGradX, x.shape[2:]).apply((W, gy))[0])
        if 1 in indexes:
            ret.append(self._like(
                DepthwiseConvolution2DGradW, W.shape[2:]).apply((x, gy))[0])
        if 2 in indexes:
            ret.append(F.sum(gy, axis=(0, 2, 3)))
        return ret


class DepthwiseConvolution2DGradX(_DepthwiseNode):
    """The gradient of :class:`DepthwiseConvolution2D` with respect to ``x``.

    Inputs ``W`` ``(C, 1, kh, kw)`` and ``gy`` ``(N, C, out_h, out_w)``;
    the output is ``gx`` ``(N, C, H, W)``.

    Args:
        stride (tuple of ints): ``(sy, sx)``.
        pad (tuple of tuples of ints): ``((top, bottom), (left, right))``.
        dilate (tuple of ints): ``(dy, dx)``.
        in_size (tuple of ints): ``(H, W)`` of ``x``.

    """

    def __init__(self, stride, pad, dilate, in_size):
        super(DepthwiseConvolution2DGradX, self).__init__(
            stride, pad, dilate)
        self.in_size = tuple(in_size)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('W', 'gy'))
        w_type, gy_type = in_types
        type_check.expect(
            gy_type.dtype.kind == 'f',
            w_type.dtype == gy_type.dtype,
            gy_type.ndim == 4,
            w_type.ndim == 4,
            w_type.shape[0] == gy_type.shape[1],
            w_type.shape[1] == 1,
        )

    def forward_cpu(self, inputs):
        self.retain_inputs((0, 1))
        W, gy = inputs
        geo = _Geometry(self.in_size, W.shape[2:], self.stride, self.pad,
                        self.dilate)
        if gy.shape[2:] != (geo.out_h, geo.out_w):
            raise ValueError(
                'depthwise_convolution_2d: gy of shape {} does not match '
                'the output {}'.format(gy.shape, (geo.out_h, geo.out_w)))
        with _small_ufunc_buffers():
            return _grad_x(W, gy, geo, self.pad, self.dilate),

    def backward(self, indexes, grad_outputs):
        W, gy = self.get_retained_inputs()
        ggx, = grad_outputs
        ret = []
        if 0 in indexes:
            ret.append(self._like(
                DepthwiseConvolution2DGradW, W.shape[2:]).apply((ggx, gy))[0])
        if 1 in indexes:
            ret.append(self._like(DepthwiseConvolution2D).apply(
                (ggx, W))[0])
        return ret


class DepthwiseConvolution2DGradW(_DepthwiseNode):
    """The gradient of :class:`DepthwiseConvolution2D` with respect to ``W``.

    Inputs ``x`` ``(N, C, H, W)`` and ``gy`` ``(N, C, out_h, out_w)``; the
    output is ``gW`` ``(C, 1, kh, kw)``.

    Args:
        stride (tuple of ints): ``(sy, sx)``.
        pad (tuple of tuples of ints): ``((top, bottom), (left, right))``.
        dilate (tuple of ints): ``(dy, dx)``.
        ksize (tuple of ints): ``(kh, kw)``.

    """

    def __init__(self, stride, pad, dilate, ksize):
        super(DepthwiseConvolution2DGradW, self).__init__(
            stride, pad, dilate)
        self.ksize = tuple(ksize)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x', 'gy'))
        x_type, gy_type = in_types
        type_check.expect(
            x_type.dtype.kind == 'f',
            gy_type.dtype == x_type.dtype,
            x_type.ndim == 4,
            gy_type.ndim == 4,
            gy_type.shape[0] == x_type.shape[0],
            gy_type.shape[1] == x_type.shape[1],
        )

    def forward_cpu(self, inputs):
        self.retain_inputs((0, 1))
        x, gy = inputs
        geo = _Geometry(x.shape[2:], self.ksize, self.stride, self.pad,
                        self.dilate)
        if gy.shape[2:] != (geo.out_h, geo.out_w):
            raise ValueError(
                'depthwise_convolution_2d: gy of shape {} does not match '
                'the output {}'.format(gy.shape, (geo.out_h, geo.out_w)))
        with _small_ufunc_buffers():
            return _grad_w(x, gy, geo, x.dtype),

    def backward(self, indexes, grad_outputs):
        x, gy = self.get_retained_inputs()
        ggW, = grad_outputs
        ret = []
        if 0 in indexes:
            ret.append(self._like(
                DepthwiseConvolution2DGradX, x.shape[2:]).apply((ggW, gy))[0])
        if 1 in indexes:
            ret.append(self._like(DepthwiseConvolution2D).apply(
                (x, ggW))[0])
        return ret


def _check_arrays(arrays, pads, dilate):
    """What :meth:`DepthwiseConvolution2D.check_type_forward` checks, for
    the forward without a graph."""
    def weight_checks(x, W):
        expect = [
            (W.shape[0] == x.shape[1], 'W.shape[0] == x.shape[1]',
             (W.shape, x.shape)),
            (W.shape[1] == 1, 'W.shape[1] == 1', W.shape)]
        for axis in (0, 1):
            before, after = pads[axis]
            expect.append((
                x.shape[2 + axis] + before + after
                >= (W.shape[2 + axis] - 1) * dilate[axis] + 1,
                'the padded input at least the dilated kernel',
                (x.shape, pads, W.shape, dilate)))
        return expect
    check_arrays(arrays, weight_checks)


def _is_cpu(array):
    return isinstance(array, numpy.ndarray)


def depthwise_convolution_2d(x, W, b=None, stride=1, pad=0, dilate=1):
    """Depthwise 2D convolution, with asymmetric padding.

    Each of the ``C`` channels is convolved with its own filter: ``W`` has
    shape ``(C, 1, kh, kw)``, as the weight of
    ``chainer.functions.convolution_2d(x, W, b, groups=C)``. The padding
    may differ before and after each axis, so that TensorFlow's ``'SAME'``
    padding (the odd extra pixel at the bottom and right) needs no
    separate :func:`chainer.functions.pad`: the output is that of
    ``convolution_2d(pad(x, ((0, 0), (0, 0), (top, bottom),
    (left, right))), W, b, stride, dilate=dilate, groups=C)``.

    On the CPU (NumPy arrays) it is computed by
    :class:`DepthwiseConvolution2D`, without ``im2col`` or a padded copy of
    the whole input; its gradients are differentiable again. Without
    backprop (``chainer.no_backprop_mode``) the same forward runs without
    the ``FunctionNode`` (the same checks, on the arrays). Other arrays
    (CuPy: cuDNN), and any array while ``chainer.config.stock_functions``
    is :obj:`True`, go through Chainer's own functions, ``pad`` (only for
    the asymmetric part) and ``convolution_2d`` with ``groups=C``.

    Args:
        x (~chainer.Variable or array): Input ``(N, C, H, W)``.
        W (~chainer.Variable or array): Filters ``(C, 1, kh, kw)``, of the
            dtype of ``x``.
        b (~chainer.Variable or array): Bias ``(C,)`` or :obj:`None`.
        stride (int or pair of ints): Stride ``(sy, sx)``.
        pad (int, pair of ints or pair of pairs of ints): Padding: ``p``
            (all sides), ``(ph, pw)`` (symmetric per axis) or
            ``((top, bottom), (left, right))``.
        dilate (int or pair of ints): Dilation ``(dy, dx)``.

    Returns:
        ~chainer.Variable: Output ``(N, C, out_h, out_w)`` with
        ``out_h = (top + H + bottom - (kh - 1) * dy - 1) // sy + 1``, and
        likewise ``out_w``.

    Raises:
        ValueError: if a pad is negative or the output would be empty.

    """
    stride = _pair(stride)
    dilate = _pair(dilate)
    pads = _pads(pad)
    x_array = x.array if isinstance(x, chainer.Variable) else x
    w_array = W.array if isinstance(W, chainer.Variable) else W
    if _is_cpu(x_array) and _is_cpu(w_array) and \
            not getattr(chainer.config, 'stock_functions', False):
        inputs = (x, W) if b is None else (x, W, b)
        if not chainer.config.enable_backprop:
            # no graph to build: the forward alone, without the overhead
            # of FunctionNode.apply
            arrays = [chainer.as_array(a) for a in inputs]
            _check_arrays(arrays, pads, dilate)
            with _small_ufunc_buffers():
                y = _forward(arrays[0], arrays[1], arrays[2] if b is not None
                             else None, stride, pads, dilate)
            return chainer.Variable(y, requires_grad=False)
        return DepthwiseConvolution2D(stride, pads, dilate).apply(inputs)[0]
    (pt, pb), (pl, pr) = pads
    ph, pw = min(pt, pb), min(pl, pr)
    if (pt, pb, pl, pr) != (ph, ph, pw, pw):
        x = F.pad(x, ((0, 0), (0, 0), (pt - ph, pb - ph), (pl - pw, pr - pw)),
                  mode='constant')
    return F.convolution_2d(x, W, b, stride=stride, pad=(ph, pw),
                            dilate=dilate, groups=w_array.shape[0])
