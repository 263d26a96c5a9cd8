import numpy

import chainer
from chainer import backend
import chainer.functions as F
from chainer import function_node
from chainer.utils import type_check

from sparsemask.functions.fdn_stage_plan import interpolation_matrix  # NOQA
from sparsemask.functions.fdn_stage_plan import stage_plan


def _conv1x1(xp, x, W):
    N, C, h, w = x.shape
    return xp.matmul(W, x.reshape(N, C, h * w)).reshape(N, W.shape[0], h, w)


def accumulate_numpy(zs, scale, shift, size):
    """``shift + sum_t scale_t * up(z_t)`` on the CPU (vectorised NumPy).

    The NumPy twin of the ``fdn_stage_forward`` kernel, with the same
    grouping (:class:`~sparsemask.functions.fdn_stage_plan.StagePlan`):
    inputs of one size are summed at their resolution first (resizing is
    linear), 1x1 inputs are folded with the shift into a bias, all resized
    groups are resized by one matmul per group along the width and one
    matmul over the stacked groups along the height, which writes the
    output once. Inputs already at the output size are added directly.

    Args:
        zs (list of numpy.ndarray): ``(N, C, h_t, w_t)`` each.
        scale (numpy.ndarray): ``(T, C)``.
        shift (numpy.ndarray): ``(C,)``.
        size (tuple of int): ``(H, W)``.

    Returns:
        numpy.ndarray: ``(N, C, H, W)``.

    """
    H, W = size
    N, C = zs[0].shape[:2]
    dtype = zs[0].dtype
    plan = stage_plan([z.shape[2:] for z in zs], size)
    _, ry_bias, rxs = plan.matrices(dtype)
    # stacked rows: every resized group, plus one row for the bias
    stacked = numpy.empty((N, C, ry_bias.shape[1], W), dtype=dtype)
    off = 0
    for ((h, w), ts), rx in zip(plan.resized, rxs):
        stacked[:, :, off:off + h] = numpy.matmul(
            plan.scaled_sum(zs, scale, ts), rx)
        off += h
    stacked[:, :, off] = plan.bias(numpy, zs, scale, shift)[:, :, None]
    out = numpy.matmul(ry_bias, stacked)
    if plan.full:
        out += plan.scaled_sum(zs, scale, plan.full)
    return out


def transposed_upsample_numpy(gy, sizes):
    """``up_t^T(gy)`` for every input size, on the CPU.

    The NumPy twin of the ``fdn_stage_backward_rows`` and
    ``fdn_stage_backward_cols`` kernels: one matmul with the stacked
    transposed row matrices, one per group with its column matrix.

    Args:
        gy (numpy.ndarray): ``(N, C, H, W)``.
        sizes (list of tuple): ``(h_t, w_t)`` of each input.

    Returns:
        list of numpy.ndarray: ``(N, C, h_t, w_t)`` for each input; inputs
        of one size share one array, output-sized inputs get ``gy`` itself
        (do not modify them).

    """
    N, C, H, W = gy.shape
    plan = stage_plan(sizes, (H, W))
    downs = [None] * len(sizes)
    if plan.resized:
        ry, _, rxs = plan.matrices(gy.dtype)
        rows = numpy.matmul(ry.T, gy)  # (N, C, sum h, W)
        off = 0
        for ((h, w), ts), rx in zip(plan.resized, rxs):
            d = numpy.matmul(rows[:, :, off:off + h], rx.T)
            off += h
            for t in ts:
                downs[t] = d
    _share_full_and_point(plan, gy, downs)
    return downs


def _share_full_and_point(plan, gy, downs):
    # output-sized inputs: gy itself; 1x1 inputs: its spatial sum
    for t in plan.full:
        downs[t] = gy
    if plan.point:
        total = gy.sum(axis=(2, 3), keepdims=True)
        for t in plan.point:
            downs[t] = total


#: resized groups per launch of ``fdn_stage_forward`` (its FDN_MAX_GROUPS)
MAX_GROUPS = 4
_BLOCK = 256
# threads per launch the grid aims at (several waves of a large GPU); the
# planes left over are visited by each thread in turn, reusing its tables
_TARGET_THREADS = 1 << 21
_MAX_GRID_Y = 65535


def _pointers(xp, arrays):
    if xp is numpy:
        ptrs = [a.ctypes.data for a in arrays]
    else:
        ptrs = [a.data.ptr for a in arrays]
    return xp.asarray(numpy.asarray(ptrs, dtype=numpy.uint64))


def _launch_config(kernel, per_plane, planes):
    # grid x over the elements of a plane, grid y over the planes
    block = getattr(kernel, 'block', _BLOCK)
    gx = max(1, -(-per_plane // block))
    gy = max(1, min(planes, _MAX_GRID_Y, _TARGET_THREADS // (gx * block)))
    max_grid = getattr(kernel, 'max_grid', None)
    if max_grid is not None:  # the emulator caps the grid
        gx, gy = min(gx, max_grid), min(gy, max_grid)
    return (gx, gy), (block,)


def _check_float32(**arrays):
    # The CUDA kernels read and write C ``float``: an array of another
    # dtype would be read out of bounds (float16) or as garbage (float64).
    for name, a in arrays.items():
        if a.dtype != numpy.float32:
            raise TypeError(
                'fdn_stage: the CUDA kernels take float32 only, but {} is '
                '{}; cast the inputs and parameters to float32, or use the '
                'unfused stage (config model.fused=false, or '
                'FDNStage(fused=False))'.format(name, a.dtype))


def accumulate_kernel(kernels, zs, scale, shift, size):
    """``shift + sum_t scale_t * up(z_t)`` with the ``fdn_stage_forward``
    CUDA kernel: one pass over the output.

    The group sums and the bias (see
    :class:`~sparsemask.functions.fdn_stage_plan.StagePlan`) are computed
    at low resolution first; the kernel then reads each group sum and each
    output-sized input once and writes the output once. More than
    ``MAX_GROUPS`` resized groups take one more launch per ``MAX_GROUPS``,
    each adding to the output.

    Args:
        kernels: an object with a ``forward`` :class:`cupy.RawKernel` (or
            an object with its call signature ``kernel(grid, block,
            args)``), such as :func:`sparsemask.cuda.fdn_stage_kernels`.
        zs, scale, shift, size: as :func:`accumulate_numpy`.

    Returns:
        array: ``(N, C, H, W)``.

    Raises:
        TypeError: if an array is not float32 (the kernel reads ``float``).

    """
    xp = backend.get_array_module(zs[0])
    _check_float32(scale=scale, shift=shift,
                   **{'input {} after its conv1x1'.format(t): z
                      for t, z in enumerate(zs)})
    plan = stage_plan([z.shape[2:] for z in zs], size)
    sums = [plan.scaled_sum(zs, scale, ts) for _, ts in plan.resized]
    return launch_forward(kernels, plan, sums, [zs[t] for t in plan.full],
                          scale[plan.full], plan.bias(xp, zs, scale, shift))


def launch_forward(kernels, plan, sums, fulls, full_scale, bias):
    """The launches of ``fdn_stage_forward`` alone (see
    :func:`accumulate_kernel`, which prepares their inputs).

    Args:
        kernels: as :func:`accumulate_kernel`.
        plan (~sparsemask.functions.fdn_stage_plan.StagePlan): the stage.
        sums (list of array): the group sum of each resized group, ``(N,
            C, h_g, w_g)``.
        fulls (list of array): the output-sized inputs ``(N, C, H, W)``.
        full_scale (array): their scales, ``(F, C)``.
        bias (array): ``(N, C)``.

    Returns:
        array: ``(N, C, H, W)``.

    """
    xp = backend.get_array_module(bias)
    kernel = kernels.forward
    N, C = bias.shape
    H, W = plan.size
    tab = plan.device_tables(xp)
    sums = [xp.ascontiguousarray(z) for z in sums]
    fulls = [xp.ascontiguousarray(z) for z in fulls]
    full_ptrs = _pointers(xp, fulls)
    full_scale = xp.ascontiguousarray(full_scale).reshape(len(fulls), C)
    bias = xp.ascontiguousarray(bias)
    out = xp.empty((N, C, H, W), dtype=bias.dtype)
    i32 = numpy.int32
    max_groups = getattr(kernel, 'max_groups', MAX_GROUPS)
    G = len(sums)
    grid, block = _launch_config(kernel, H * W, N * C)
    for g0 in range(0, max(G, 1), max_groups):
        g1 = min(G, g0 + max_groups)
        first = g0 == 0
        kernel(grid, block, (
            _pointers(xp, sums[g0:g1]), tab['low_sizes'][g0:g1],
            tab['ytab'][g0:g1], tab['yfrac'][g0:g1], tab['xtab'][g0:g1],
            tab['xfrac'][g0:g1], i32(g1 - g0),
            full_ptrs if first else full_ptrs[:0], full_scale,
            i32(len(fulls) if first else 0), bias, i32(not first), out,
            i32(N * C), i32(C), i32(H), i32(W)))
    return out


def transposed_upsample_kernel(kernels, gy, sizes):
    """``up_t^T(gy)`` with the ``fdn_stage_backward_rows`` and
    ``fdn_stage_backward_cols`` CUDA kernels: two launches for every
    resized input at once, no atomics (deterministic).

    Args:
        kernels: an object with ``backward_rows`` and ``backward_cols``
            kernels (see :func:`accumulate_kernel`).
        gy, sizes: as :func:`transposed_upsample_numpy`.

    Returns:
        list of arrays: ``(N, C, h_t, w_t)`` for each input; inputs of one
        size share one array, output-sized inputs get ``gy`` itself.

    Raises:
        TypeError: if ``gy`` is not float32.

    """
    xp = backend.get_array_module(gy)
    _check_float32(gy=gy)
    gy = xp.ascontiguousarray(gy)
    N, C, H, W = gy.shape
    plan = stage_plan(sizes, (H, W))
    downs = [None] * len(sizes)
    if plan.resized:
        tab = plan.device_tables(xp)
        elem_off = plan.tables()['elem_off']
        NC, R, G = N * C, tab['R'], len(plan.resized)
        i32 = numpy.int32
        rows = xp.empty((NC, R, W), dtype=gy.dtype)
        grid, block = _launch_config(kernels.backward_rows, R * W, NC)
        kernels.backward_rows(grid, block, (
            gy, tab['row_ptr'], tab['row_idx'], tab['row_w'], rows, i32(NC),
            i32(R), i32(H), i32(W)))
        buf = xp.empty(int(elem_off[-1]) * NC, dtype=gy.dtype)
        grid, block = _launch_config(kernels.backward_cols,
                                     int(elem_off[-1]), NC)
        kernels.backward_cols(grid, block, (
            rows, tab['low_sizes'], tab['elem_off'], tab['row_off'],
            tab['col_off'], tab['col_ptr'], tab['col_idx'], tab['col_w'],
            i32(G), buf, i32(NC), i32(R), i32(W)))
        for g, ((h, w), ts) in enumerate(plan.resized):
            d = buf[elem_off[g] * NC:elem_off[g + 1] * NC].reshape(N, C, h, w)
            for t in ts:
                downs[t] = d
    _share_full_and_point(plan, gy, downs)
    return downs


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

    def _statistics(self, xp, zs):
        if not self.normalize:
            return None, None
        if chainer.config.train:
            mean = xp.stack([z.mean(axis=(0, 2, 3)) for z in zs])
            var = xp.stack([z.var(axis=(0, 2, 3)) for z in zs])
            if self.running_mean is not None:
                for t, z in enumerate(zs):
                    m = z.size // z.shape[1]
                    adjust = m / max(m - 1., 1.)
                    self.running_mean[t] *= self.decay
                    self.running_mean[t] += (1 - self.decay) * mean[t]
                    self.running_var[t] *= self.decay
                    self.running_var[t] += (1 - self.decay) * adjust * var[t]
        else:
            if self.running_mean is None:
                raise ValueError('fdn_stage in test mode needs running_mean '
                                 'and running_var')
            mean = self.running_mean.astype(zs[0].dtype, copy=True)
            var = self.running_var.astype(zs[0].dtype, copy=True)
        return mean, var

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
        zs = [_conv1x1(xp, x, W) for x, W in zip(xs, Ws)]
        mean, var = self._statistics(xp, zs)
        if self.normalize:
            # BN(z) = a (z - mean) + beta with a = gamma / sqrt(var + eps).
            # The inputs are centred at their low resolution first, so that
            # a large a (small variance) does not amplify float32 rounding
            # of a z - a mean.
            self.train = chainer.config.train
            self.invstd = (var + self.eps) ** -0.5
            self.mean = mean
            zs = [z - mean[t][None, :, None, None] for t, z in enumerate(zs)]
            scale = w[:, None] * gamma * self.invstd
            shift = (w[:, None] * beta).sum(axis=0)
        else:
            scale = xp.broadcast_to(w[:, None], (T, Ws[0].shape[0]))
            shift = xp.zeros(Ws[0].shape[0], dtype=xs[0].dtype)
        # centred when normalizing; kept for the backward only where it
        # needs them
        self.sizes = [z.shape[2:] for z in zs]
        self.zs = zs if self.normalize or self.w_grad else None
        kernels = self._kernels(xp)
        if kernels is None:
            y = accumulate_numpy(zs, scale, shift, self.size)
        else:
            y = accumulate_kernel(kernels, zs, scale, shift, self.size)
        return y,

    def backward(self, indexes, grad_outputs):
        T = self.n_inputs
        inputs = self.get_retained_inputs()
        xs = [v.array for v in inputs[:T]]
        Ws = [v.array for v in inputs[T:2 * T]]
        gamma, beta, w = [v.array for v in inputs[2 * T:]]
        gy = grad_outputs[0].array
        xp = backend.get_array_module(gy)
        sizes = self.sizes
        kernels = self._kernels(xp)
        if kernels is None:
            downs = transposed_upsample_numpy(gy, sizes)
        else:
            downs = transposed_upsample_kernel(kernels, gy, sizes)
        g_sum = gy.sum(axis=(0, 2, 3))
        if self.normalize:
            invstd = self.invstd
            # sums of d * (z - mean) over the centred inputs, not
            # sum(d * z) - mean * sum(d), which cancels badly in float32
            xcs = self.zs
            sc = xp.stack([(d * xc).sum(axis=(0, 2, 3))
                           for d, xc in zip(downs, xcs)])
            gw = (gamma * invstd * sc + beta * g_sum[None]).sum(axis=1)
            # gradients of the per-connection BN scale and shift
            ggamma = w[:, None] * invstd * sc
            gbeta = w[:, None] * xp.broadcast_to(g_sum, gamma.shape)
        else:
            gw = None if self.zs is None else xp.stack(
                [(d * z).sum() for d, z in zip(downs, self.zs)])
            ggamma = gbeta = None
        gxs, gWs = [], []
        for t in range(T):
            d = downs[t]
            if self.normalize:
                a = gamma[t] * invstd[t]
                gz = (w[t] * a)[None, :, None, None] * d
                if self.train:
                    m = d.size // d.shape[1]
                    xhat = xcs[t] * invstd[t][None, :, None, None]
                    gz -= (a / m)[None, :, None, None] * (
                        gbeta[t][None, :, None, None]
                        + xhat * ggamma[t][None, :, None, None])
            else:
                gz = w[t] * d
            N, Co, h, wd = gz.shape
            gz2 = gz.reshape(N, Co, h * wd)
            x2 = xs[t].reshape(N, xs[t].shape[1], h * wd)
            gWs.append(xp.tensordot(gz2, x2, axes=([0, 2], [0, 2])))
            gxs.append(xp.matmul(Ws[t].T, gz2).reshape(xs[t].shape))
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
