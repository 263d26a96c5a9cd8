import numpy

import chainer
from chainer import backend
import chainer.functions as F
from chainer import function_node
from chainer.utils import type_check

from sparsemask.cuda.kernel_package import fdn_stage_launch as _launch
from sparsemask.functions.fdn_stage_plan import interpolation_matrix  # NOQA
from sparsemask.functions.fdn_stage_plan import stage_plan  # NOQA

# The launch code, its NumPy twin and the stage's array math live in the
# Chainer-free package kernels/ (kernels/fdn_stage_launch.py), so that the
# GPU checks run them where Chainer cannot import; re-exported here.
MAX_GROUPS = _launch.MAX_GROUPS
StageState = _launch.StageState
accumulate_kernel = _launch.accumulate_kernel
accumulate_numpy = _launch.accumulate_numpy
launch_forward = _launch.launch_forward
stage_backward = _launch.stage_backward
stage_forward = _launch.stage_forward
transposed_upsample_kernel = _launch.transposed_upsample_kernel
transposed_upsample_numpy = _launch.transposed_upsample_numpy
_check_float32 = _launch._check_float32
_conv1x1 = _launch._conv1x1
_launch_config = _launch._launch_config
_pointers = _launch._pointers


class FDNStageFunction(function_node.FunctionNode):
    """The fused computation of one FDN decoder stage.

    Inputs, in order: ``x_0 .. x_{T-1}``, ``W_0 .. W_{T-1}`` (``(C_out,
    C_t)``), ``gamma`` ``(T, C_out)``, ``beta`` ``(T, C_out)``, ``w``
    ``(T,)``. See :func:`fdn_stage`.

    """

    def __init__(self, n_inputs, size, normalize=True, eps=2e-5,
                 running_mean=None, running_var=None, decay=0.9,
                 kernels=None, w_grad=True):
        self.n_inputs = n_inputs
        # whether the backward computes the gradient of w: without BN it is
        # the only use of the 1x1 convolutions' outputs ``zs``, which are
        # then not kept (a retraining's w is the constant ones)
        self.w_grad = w_grad
        self.size = tuple(int(s) for s in size)
        self.normalize = normalize
        self.eps = eps
        self.running_mean = running_mean
        self.running_var = running_var
        self.decay = decay
        self.kernels = kernels

    def check_type_forward(self, in_types):
        T = self.n_inputs
        type_check._argname(in_types, tuple(
            ['x{}'.format(t) for t in range(T)]
            + ['W{}'.format(t) for t in range(T)] + ['gamma', 'beta', 'w']))
        type_check.expect(in_types.size() == 2 * T + 3)
        gamma, beta, w = in_types[2 * T:]
        dtype = in_types[0].dtype
        type_check.expect(
            dtype.kind == 'f', gamma.dtype == dtype, beta.dtype == dtype,
            w.dtype == dtype, w.ndim == 1, w.shape[0] == T, gamma.ndim == 2,
            gamma.shape[0] == T, beta.shape == gamma.shape)
        for t in range(T):
            x, W = in_types[t], in_types[T + t]
            type_check.expect(
                x.dtype == dtype, W.dtype == dtype, x.ndim == 4, W.ndim == 2,
                W.shape[1] == x.shape[1], W.shape[0] == gamma.shape[1],
                x.shape[0] == in_types[0].shape[0])

    def _kernels(self, xp):
        # the CUDA kernels on a GPU (or the ones given for tests), None for
        # the NumPy path
        if self.kernels is not None:
            return self.kernels
        if xp is numpy:
            return None
        from sparsemask.cuda import fdn_stage_kernels
        return fdn_stage_kernels()

    def forward(self, inputs):
        T = self.n_inputs
        xp = backend.get_array_module(*inputs)
        xs, Ws = inputs[:T], inputs[T:2 * T]
        gamma, beta, w = inputs[2 * T:]
        self.retain_inputs(tuple(range(2 * T)) + (2 * T, 2 * T + 1, 2 * T + 2))
        y, state = stage_forward(
            xs, Ws, gamma, beta, w, self.size, kernels=self._kernels(xp),
            normalize=self.normalize, train=chainer.config.train,
            eps=self.eps, running_mean=self.running_mean,
            running_var=self.running_var, decay=self.decay,
            keep_zs=self.w_grad)
        self.state = state
        # whether BN used batch statistics (the ONNX converter refuses that)
        self.train = chainer.config.train
        # what the backward keeps (the 1x1 convolutions' outputs, centred
        # when normalizing; None when nothing needs them)
        self.sizes = state.sizes
        self.zs = state.zs
        return y,

    def backward(self, indexes, grad_outputs):
        T = self.n_inputs
        inputs = self.get_retained_inputs()
        xs = [v.array for v in inputs[:T]]
        Ws = [v.array for v in inputs[T:2 * T]]
        gamma, beta, w = [v.array for v in inputs[2 * T:]]
        gy = grad_outputs[0].array
        xp = backend.get_array_module(gy)
        gxs, gWs, ggamma, gbeta, gw = stage_backward(
            xs, Ws, gamma, beta, w, gy, self.state,
            kernels=self._kernels(xp))
        grads = gxs + gWs + [ggamma, gbeta, gw]
        return tuple(None if g is None else chainer.Variable(g)
                     for g in grads)


def fdn_stage(xs, Ws, size, gamma=None, beta=None, w=None, normalize=True,
              eps=2e-5, running_mean=None, running_var=None, decay=0.9,
              kernels=None):
    """One Fully Dense Network stage, fused (SparseMask Eq. 4).

    .. math::
        y = \\sum_t w_t f_\\uparrow(bn_t(W_t x_t))

    Each 1x1 convolution runs as a matmul at its input's own resolution
    (paper Theorem 2). Batch normalization, the connection weight, the
    bilinear upsampling (``align_corners=True``, as
    :func:`chainer.functions.resize_images`) and the sum over inputs happen
    in one pass over the output. Inputs of one size are scaled and summed
    at their own resolution and resized once (resizing is linear), 1x1
    inputs fold into a bias, output-sized inputs are added as they are. On
    the GPU one ``fdn_stage_forward`` launch per four resized sizes, and a
    backward of two launches without atomics (deterministic); on the CPU
    stacked separable-interpolation matmuls.

    In training mode BN uses the batch statistics of each ``W_t x_t`` and
    updates ``running_mean`` and ``running_var`` in place as
    :class:`chainer.links.BatchNormalization` does; in test mode it uses
    them. With ``normalize=False`` there is no BN: ``y = sum_t w_t
    up(W_t x_t)``.

    Args:
        xs (list of ~chainer.Variable): ``(N, C_t, h_t, w_t)``.
        Ws (list of ~chainer.Variable): ``(C_out, C_t)`` or ``(C_out, C_t,
            1, 1)``.
        size (tuple of int): output size ``(H, W)``.
        gamma (~chainer.Variable): ``(T, C_out)``; ones if None.
        beta (~chainer.Variable): ``(T, C_out)``; zeros if None.
        w (~chainer.Variable): ``(T,)`` connection weights; ones if None.
            Unless it is a variable that requires a gradient, the backward
            neither computes its gradient nor, without BN, keeps the 1x1
            convolutions' outputs for it.
        normalize (bool): apply the per-connection BN.
        eps (float): BN epsilon.
        running_mean (array): ``(T, C_out)`` running means (updated in
            place in training mode).
        running_var (array): ``(T, C_out)`` running variances.
        decay (float): BN decay of the running statistics.
        kernels: for tests, an object with ``forward`` and ``backward``
            kernels that have :class:`cupy.RawKernel`'s call signature; they
            are then used on any device.

    Returns:
        ~chainer.Variable: ``(N, C_out, H, W)``.

    """
    T = len(xs)
    if T == 0 or len(Ws) != T:
        raise ValueError('fdn_stage needs one weight matrix per input, got '
                         '{} inputs and {} matrices'.format(T, len(Ws)))
    Ws = [F.reshape(W, W.shape[:2]) if W.ndim == 4 else W for W in Ws]
    xp = backend.get_array_module(*([x for x in xs] + [W for W in Ws]))
    dtype = xs[0].dtype
    C = Ws[0].shape[0]
    w_grad = isinstance(w, chainer.Variable) and w.requires_grad
    if gamma is None:
        gamma = xp.ones((T, C), dtype=dtype)
    if beta is None:
        beta = xp.zeros((T, C), dtype=dtype)
    if w is None:
        w = xp.ones((T,), dtype=dtype)
    node = FDNStageFunction(T, size, normalize, eps, running_mean,
                            running_var, decay, kernels, w_grad=w_grad)
    y, = node.apply(tuple(xs) + tuple(Ws) + (gamma, beta, w))
    return y
