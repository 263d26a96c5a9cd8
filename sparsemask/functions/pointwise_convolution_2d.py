"""1x1 convolution computed as a matrix product on the CPU.

Chainer computes a 1x1 convolution on the CPU through ``im2col`` (a padded
copy of the input and a copy into the column tensor, even for a 1x1
kernel) and a ``tensordot`` that transposes once more, and returns a
channels-last array under an ``(N, C, H, W)`` view. Here the output is one
matrix product per image, ``y[n] = W @ x[n]`` with ``x[n]`` seen as
``(C_in, H * W)``, straight into a contiguous ``(N, C_out, H, W)`` array.
"""

import numpy

import chainer
from chainer import function_node
import chainer.functions as F
from chainer.utils import type_check

from sparsemask.functions._check_arrays import check_arrays


class PointwiseConvolution2D(function_node.FunctionNode):
    """1x1 convolution, stride 1, no padding, ``y = W x + b``, on the CPU.

    See :func:`pointwise_convolution_2d`. Inputs ``x`` ``(N, C_in, H, W)``,
    ``W`` ``(C_out, C_in, 1, 1)`` and optionally ``b`` ``(C_out,)``, of
    one floating point dtype. The gradient with respect to ``x`` is again
    this function (with the transposed weight) and that with respect to
    ``W`` a :func:`chainer.functions.matmul`, so it is differentiable
    twice.

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
            w_type.shape[1] == x_type.shape[1],
            w_type.shape[2] == 1,
            w_type.shape[3] == 1,
        )
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
        return _forward(x, W, b),

    def backward(self, indexes, grad_outputs):
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        N, C, H, Wd = x.shape
        C_out = W.shape[0]
        ret = []
        if 0 in indexes:
            Wt = F.reshape(F.transpose(F.reshape(W, (C_out, C))),
                           (C, C_out, 1, 1))
            ret.append(PointwiseConvolution2D().apply((gy, Wt))[0])
        if 1 in indexes:
            # gW = sum_n gy[n] @ x[n]^T
            gW = F.matmul(F.reshape(gy, (N, C_out, H * Wd)),
                          F.reshape(x, (N, C, H * Wd)), transb=True)
            if N > 1:
                gW = F.sum(gW, axis=0)
            ret.append(F.reshape(gW, W.shape))
        if 2 in indexes:
            ret.append(F.sum(gy, axis=(0, 2, 3)))
        return ret


def _forward(x, W, b):
    """``y = W x + b`` of NumPy arrays, one matrix product per image.

    With more output than input channels the bias is a column of ``W``
    times a row of ones appended to ``x``: copying the smaller input costs
    less than a pass of the bias over the larger output.
    """
    N, C, H, Wd = x.shape
    C_out = W.shape[0]
    W = W.reshape(C_out, C)
    if b is not None and C < C_out:
        xb = numpy.empty((N, C + 1, H * Wd), x.dtype)
        xb[:, :C] = x.reshape(N, C, H * Wd)
        xb[:, C] = 1
        Wb = numpy.empty((C_out, C + 1), W.dtype)
        Wb[:, :C] = W
        Wb[:, C] = b
        return numpy.matmul(Wb, xb).reshape(N, C_out, H, Wd)
    # a view for C-ordered and channels-last arrays (Chainer's
    # convolutions return those), which BLAS reads as they are
    y = numpy.matmul(W, x.reshape(N, C, H * Wd))
    if b is not None:
        y += b[:, None]
    return y.reshape(N, C_out, H, Wd)


def _check_arrays(arrays):
    """What :meth:`PointwiseConvolution2D.check_type_forward` checks, for
    the forward without a graph."""
    check_arrays(arrays, lambda x, W: [(
        W.shape[1] == x.shape[1] and W.shape[2:] == (1, 1),
        'W.shape == (C_out, x.shape[1], 1, 1)', (W.shape, x.shape))])


def _is_cpu(array):
    return isinstance(array, numpy.ndarray)


def pointwise_convolution_2d(x, W, b=None):
    """1x1 convolution (stride 1, no padding), as a matrix product.

    The output is that of ``chainer.functions.convolution_2d(x, W, b)``
    for a weight of shape ``(C_out, C_in, 1, 1)``. On the CPU (NumPy
    arrays) it is :class:`PointwiseConvolution2D`, one matrix product per
    image into a contiguous array, without Chainer's ``im2col`` copies
    (without backprop, the same product without the ``FunctionNode``);
    other arrays (CuPy: cuDNN), and any array while
    ``chainer.config.stock_functions`` is :obj:`True`, go through
    :func:`chainer.functions.convolution_2d`.

    Args:
        x (~chainer.Variable or array): Input ``(N, C_in, H, W)``.
        W (~chainer.Variable or array): Weight ``(C_out, C_in, 1, 1)``, of
            the dtype of ``x``.
        b (~chainer.Variable or array): Bias ``(C_out,)`` or :obj:`None`.

    Returns:
        ~chainer.Variable: Output ``(N, C_out, H, W)``.

    """
    x_array = x.array if isinstance(x, chainer.Variable) else x
    w_array = W.array if isinstance(W, chainer.Variable) else W
    if _is_cpu(x_array) and _is_cpu(w_array) and \
            not getattr(chainer.config, 'stock_functions', False):
        inputs = (x, W) if b is None else (x, W, b)
        if not chainer.config.enable_backprop:
            # no graph to build: the forward alone, without the overhead
            # of FunctionNode.apply
            arrays = [chainer.as_array(a) for a in inputs]
            _check_arrays(arrays)
            y = _forward(arrays[0], arrays[1],
                         arrays[2] if b is not None else None)
            return chainer.Variable(y, requires_grad=False)
        return PointwiseConvolution2D().apply(inputs)[0]
    return F.convolution_2d(x, W, b)
