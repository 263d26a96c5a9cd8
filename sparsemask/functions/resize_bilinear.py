import functools

import numpy

import chainer
from chainer import backend
from chainer.backends import cuda
import chainer.functions as F
from chainer import function_node
from chainer.utils import type_check

from sparsemask.functions.fdn_stage_plan import interpolation_matrix


#: the largest side of a block of an interpolation matrix on the CPU
BLOCK = 32


@functools.lru_cache(maxsize=64)
def _cpu_blocks(n_out, n_in, dtype, transpose):
    """The bands of an interpolation matrix, for the CPU's blocked matmuls.

    The matrix ``M`` (``interpolation_matrix(n_out, n_in)``, or its
    transpose) is banded: each row has two non-zeros, each column a run
    of rows. Its rows are cut into blocks of at most about :data:`BLOCK`
    rows and columns (by the longer side of ``M``); a block of rows
    ``o0:o1`` reads only the columns ``c0:c1`` spanning its non-zeros,
    so that the products skip almost all of the zeros.

    Returns:
        tuple: ``(o0, o1, c0, c1, m)`` for each block, ``m`` the read-only
        contiguous ``M[o0:o1, c0:c1]`` (``c0 == c1`` where those rows are
        zero).

    """
    m = interpolation_matrix(n_out, n_in, dtype)
    if transpose:
        m = m.T
    P, K = m.shape
    n_blocks = max(1, int(round(max(P, K) / BLOCK)))
    step = -(-P // n_blocks)
    nonzero = m != 0
    blocks = []
    for o0 in range(0, P, step):
        o1 = min(P, o0 + step)
        cols = numpy.flatnonzero(nonzero[o0:o1].any(axis=0))
        c0, c1 = (int(cols[0]), int(cols[-1]) + 1) if cols.size else (0, 0)
        block = numpy.ascontiguousarray(m[o0:o1, c0:c1])
        block.flags.writeable = False
        blocks.append((o0, o1, c0, c1, block))
    return tuple(blocks)


@functools.lru_cache(maxsize=64)
def _gpu_matrix(n_out, n_in, dtype, device_id):
    # the dense interpolation matrix on that GPU; never modified
    with cuda.Device(device_id):
        return cuda.cupy.asarray(interpolation_matrix(n_out, n_in, dtype))


def _along_height_blocked(x, blocks, P):
    # (B, h, w) -> (B, P, w): one matmul per block, broadcast over planes
    B, _, w = x.shape
    y = numpy.empty((B, P, w), dtype=x.dtype)
    for o0, o1, c0, c1, m in blocks:
        if c0 == c1:
            y[:, o0:o1] = 0
        else:
            numpy.matmul(m, x[:, c0:c1], out=y[:, o0:o1])
    return y


def _along_width_blocked(x, blocks, Q):
    # (B, h, w) -> (B, h, Q): one matmul per block over all planes' rows
    B, h, w = x.shape
    x = x.reshape(B * h, w)
    y = numpy.empty((B * h, Q), dtype=x.dtype)
    for o0, o1, c0, c1, m in blocks:
        if c0 == c1:
            y[:, o0:o1] = 0
        else:
            numpy.matmul(x[:, c0:c1], m.T, out=y[:, o0:o1])
    return y.reshape(B, h, Q)


def _width_first(h, w, p, q):
    # the order with the smaller intermediate array (downsample first,
    # upsample last); on a tie, the width first when upsampling
    return h * q < p * w or (h * q == p * w and h <= p)


def _resize_cpu(x, p, q, transpose):
    # x: (B, h, w) contiguous; the matrices map the size of the forward's
    # input to that of its output, transposed in the backward
    B, h, w = x.shape
    dtype = numpy.dtype(x.dtype)
    if transpose:
        ys = _cpu_blocks(h, p, dtype, True) if p != h else None
        xs = _cpu_blocks(w, q, dtype, True) if q != w else None
    else:
        ys = _cpu_blocks(p, h, dtype, False) if p != h else None
        xs = _cpu_blocks(q, w, dtype, False) if q != w else None
    if ys is None and xs is None:
        return x.copy()
    if ys is None:
        return _along_width_blocked(x, xs, q)
    if xs is None:
        return _along_height_blocked(x, ys, p)
    if _width_first(h, w, p, q):
        return _along_height_blocked(_along_width_blocked(x, xs, q), ys, p)
    return _along_width_blocked(_along_height_blocked(x, ys, p), xs, q)


def _separable(xp, x, ry, rx_t):
    """``ry @ x @ rx_t`` for each plane of ``x``, with dense matrices.

    The GPU path (it runs on NumPy too): two matmuls, each one call,
    the one along the width a 2-D matmul over all the planes' rows, the
    one along the height broadcast over the planes, in the order of the
    smaller intermediate. An axis whose size does not change is left as
    it is.

    Args:
        xp: numpy or cupy.
        x (array): ``(B, h, w)``, C-contiguous.
        ry (array): ``(p, h)``, or None for the identity (``p == h``).
        rx_t (array): ``(w, q)``, or None for the identity (``q == w``).

    Returns:
        array: ``(B, p, q)``, a new C-contiguous array.

    """
    B, h, w = x.shape
    p = h if ry is None else ry.shape[0]
    q = w if rx_t is None else rx_t.shape[1]
    if ry is None and rx_t is None:
        return x.copy()

    def along_width(a):
        b, rows, _ = a.shape
        return xp.matmul(a.reshape(b * rows, w), rx_t).reshape(b, rows, q)

    if ry is None:
        return along_width(x)
    if rx_t is None:
        return xp.matmul(ry, x)
    if _width_first(h, w, p, q):
        return xp.matmul(ry, along_width(x))
    return along_width(xp.matmul(ry, x))


def _resize_gpu(x, p, q, transpose):
    B, h, w = x.shape
    dtype = numpy.dtype(x.dtype)
    device_id = x.device.id
    if transpose:
        ry = _gpu_matrix(h, p, dtype, device_id).T if p != h else None
        rx_t = _gpu_matrix(w, q, dtype, device_id) if q != w else None
    else:
        ry = _gpu_matrix(p, h, dtype, device_id) if p != h else None
        rx_t = _gpu_matrix(q, w, dtype, device_id).T if q != w else None
    return _separable(cuda.cupy, x, ry, rx_t)


def _resize(x, out_size, transpose):
    # y = Ry x Rx^T (transpose=False) or Ry^T x Rx (transpose=True) for
    # each image and channel of x (N, C, h, w): an array (N, C, p, q)
    xp = backend.get_array_module(x)
    N, C, h, w = x.shape
    p, q = out_size
    x = xp.ascontiguousarray(x).reshape(N * C, h, w)
    if xp is numpy:
        y = _resize_cpu(x, p, q, transpose)
    else:
        y = _resize_gpu(x, p, q, transpose)
    return y.reshape(N, C, p, q)


class ResizeBilinear(function_node.FunctionNode):
    """Bilinear resizing, ``align_corners=True``, as two matmuls.

    See :func:`resize_bilinear`. Its attributes ``out_H``, ``out_W``,
    ``mode`` and ``align_corners`` are those of Chainer's
    ``ResizeImages`` (:func:`chainer.functions.resize_images`), so that
    its converters (ONNX export) apply as they are.

    Args:
        output_shape (tuple of int): ``(out_h, out_w)``.

    """

    mode = 'bilinear'
    align_corners = True

    def __init__(self, output_shape):
        self.out_H, self.out_W = (int(s) for s in output_shape)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x_type = in_types[0]
        type_check.expect(
            x_type.dtype.kind == 'f',
            x_type.ndim == 4,
        )

    def forward(self, inputs):
        x, = inputs
        self._in_size = x.shape[2:]
        return _resize(x, (self.out_H, self.out_W), False),

    def backward(self, indexes, grad_outputs):
        return ResizeBilinearGrad(
            self._in_size, (self.out_H, self.out_W)).apply(grad_outputs)


class ResizeBilinearGrad(function_node.FunctionNode):
    """The gradient of :class:`ResizeBilinear`: ``gx = Ry^T gy Rx``.

    Args:
        input_size (tuple of int): ``(h, w)`` of the resized images.
        output_shape (tuple of int): ``(out_h, out_w)`` of the resized
            images, the size of ``gy``.

    """

    def __init__(self, input_size, output_shape):
        self.in_H, self.in_W = (int(s) for s in input_size)
        self.out_H, self.out_W = (int(s) for s in output_shape)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('gy',))
        gy_type = in_types[0]
        type_check.expect(
            gy_type.dtype.kind == 'f',
            gy_type.ndim == 4,
            gy_type.shape[2] == self.out_H,
            gy_type.shape[3] == self.out_W,
        )

    def forward(self, inputs):
        gy, = inputs
        return _resize(gy, (self.in_H, self.in_W), True),

    def backward(self, indexes, grad_outputs):
        return ResizeBilinear((self.out_H, self.out_W)).apply(grad_outputs)


def resize_bilinear(x, output_shape):
    """Resizes images bilinearly, as :func:`chainer.functions.resize_images`.

    The result is that of ``F.resize_images(x, output_shape)`` with its
    defaults (``mode='bilinear'``, ``align_corners=True``: the corners of
    the input map to the corners of the output), up to rounding, computed
    as ``y = Ry x Rx^T`` for each image and channel, where ``Ry``
    ``(out_h, h)`` and ``Rx`` ``(out_w, w)`` are the 1-D interpolation
    matrices of
    :func:`~sparsemask.functions.fdn_stage_plan.interpolation_matrix`
    (memoised per size, dtype and device): a matmul along the width over
    the rows of all the images and channels, and one along the height
    broadcast over them, in the order with the smaller intermediate
    array (downsampling first, upsampling last). The backward pass is
    ``gx = Ry^T gy Rx``, computed alike, and keeps no array of the
    forward pass: it allocates ``gx`` and the intermediate product,
    where Chainer's ``resize_images`` allocates index and weight arrays
    of dozens of times the size of ``gy``. It is differentiable twice
    (and more).

    On the CPU each matrix is cut into bands of rows (:data:`BLOCK`), so
    that the matmuls (one BLAS call per band) skip almost all its zeros;
    on the GPU each product is one cuBLAS call with the dense matrix.

    Unlike ``F.resize_images`` (float32 only) it takes any floating point
    dtype. A non-finite input value may spread beyond its neighbours in
    the output (zero weights multiply it).

    With ``chainer.config.stock_functions`` set to True (benchmarks of
    stock Chainer) it returns ``F.resize_images(x, output_shape)``
    instead.

    Args:
        x (~chainer.Variable or :ref:`ndarray`): images ``(N, C, h, w)``,
            NumPy or CuPy.
        output_shape (tuple of int): ``(out_h, out_w)``.

    Returns:
        ~chainer.Variable: ``(N, C, out_h, out_w)``, of ``x``'s dtype.

    Raises:
        ValueError: if ``output_shape`` is not two positive sizes.

    """
    output_shape = tuple(output_shape)
    if len(output_shape) != 2 or any(int(s) != s or s < 1
                                     for s in output_shape):
        raise ValueError('resize_bilinear: output_shape must be two '
                         'positive sizes, not {!r}'.format(output_shape))
    if getattr(chainer.config, 'stock_functions', False):
        return F.resize_images(x, output_shape)
    return ResizeBilinear(output_shape).apply((x,))[0]
