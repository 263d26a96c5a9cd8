"""The launch code of the fused FDN stage's CUDA kernels, its NumPy twin,
and the stage's forward and backward as plain array functions.

Imports NumPy only: no Chainer, and CuPy only when CuPy arrays are given
(the kernels come from :func:`kernels.loader.fdn_stage_kernels`, the CPU
emulator :mod:`kernels.emulator`, or any object with their call signature).
So it runs on a machine where Chainer cannot import (NumPy 2, CuPy 14), from
the repository root::

    python3 -c "import kernels.fdn_stage_launch"

The Chainer ``FunctionNode`` (:mod:`sparsemask.functions.fdn_stage`) calls
:func:`stage_forward` and :func:`stage_backward`, which call the launch
code here: the GPU checks (``scripts/gpu_kernel_check.py``) time and verify
the very code that training runs.
"""

import sys

import numpy

from .fdn_stage_plan import stage_plan


def get_array_module(*arrays):
    """:mod:`cupy` if one of the arrays is a CuPy array, else :mod:`numpy`.

    CuPy is not imported here: an array cannot be CuPy's unless CuPy was
    imported already.
    """
    cupy = sys.modules.get('cupy')
    if cupy is not None:
        return cupy.get_array_module(*arrays)
    return numpy


def _conv1x1(xp, x, W):
    N, C, h, w = x.shape
    return xp.matmul(W, x.reshape(N, C, h * w)).reshape(N, W.shape[0], h, w)


def accumulate_numpy(zs, scale, shift, size):
    """``shift + sum_t scale_t * up(z_t)`` on the CPU (vectorised NumPy).

    The NumPy twin of the ``fdn_stage_forward`` kernel, with the same
    grouping (:class:`~kernels.fdn_stage_plan.StagePlan`):
    inputs of one size are summed at their resolution first (resizing is
    linear), 1x1 inputs are folded with the shift into a bias, all resized
    groups are resized by one matmul per group along the width and, along
    the height, one matmul over the stacked groups per band of output rows
    (:meth:`~kernels.fdn_stage_plan.StagePlan.row_bands`: only the rows
    that band reads), which writes the output once. Inputs already at the
    output size are added to each band as it is written.

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
    out = numpy.empty((N, C, H, W), dtype=dtype)
    fulls = [(zs[t], scale[t][None, :, None, None]) for t in plan.full]
    tmp = None
    for o0, o1, cols, m in plan.row_bands(dtype):
        band = out[:, :, o0:o1]
        numpy.matmul(m, stacked[:, :, cols], out=band)
        # the output-sized inputs added band by band, while it is in cache
        for z, s in fulls:
            if tmp is None:
                tmp = numpy.empty_like(band)
            t = tmp[:, :, :o1 - o0]
            numpy.multiply(z[:, :, o0:o1], s, out=t)
            band += t
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
    :class:`~kernels.fdn_stage_plan.StagePlan`) are computed
    at low resolution first; the kernel then reads each group sum and each
    output-sized input once and writes the output once. More than
    ``MAX_GROUPS`` resized groups take one more launch per ``MAX_GROUPS``,
    each adding to the output.

    Args:
        kernels: an object with a ``forward`` :class:`cupy.RawKernel` (or
            an object with its call signature ``kernel(grid, block,
            args)``), such as :func:`kernels.loader.fdn_stage_kernels`.
        zs, scale, shift, size: as :func:`accumulate_numpy`.

    Returns:
        array: ``(N, C, H, W)``.

    Raises:
        TypeError: if an array is not float32 (the kernel reads ``float``).

    """
    xp = get_array_module(zs[0])
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
        plan (~kernels.fdn_stage_plan.StagePlan): the stage.
        sums (list of array): the group sum of each resized group, ``(N,
            C, h_g, w_g)``.
        fulls (list of array): the output-sized inputs ``(N, C, H, W)``.
        full_scale (array): their scales, ``(F, C)``.
        bias (array): ``(N, C)``.

    Returns:
        array: ``(N, C, H, W)``.

    """
    xp = get_array_module(bias)
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
    xp = get_array_module(gy)
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


class StageState(object):
    """What :func:`stage_forward` keeps for :func:`stage_backward`.

    Attributes:
        sizes (list of tuple): ``(h_t, w_t)`` of each input.
        zs (list of array): the 1x1 convolutions' outputs, centred by the BN
            mean when normalizing; None when nothing needs them (no BN and
            no gradient of ``w``).
        train (bool): whether BN used the batch statistics (BN only).
        invstd (array): ``(T, C)``, ``1 / sqrt(var + eps)`` (BN only).
        mean (array): ``(T, C)``, the mean BN subtracted (BN only).

    """

    def __init__(self, sizes, zs, train=None, invstd=None, mean=None):
        self.sizes = sizes
        self.zs = zs
        self.train = train
        self.invstd = invstd
        self.mean = mean


def statistics(xp, zs, normalize=True, train=True, running_mean=None,
               running_var=None, decay=0.9):
    """The mean and variance BN uses, ``(T, C)`` each (None, None without
    BN).

    In training mode the batch statistics of each ``z_t``, and
    ``running_mean`` and ``running_var`` are updated in place as
    :class:`chainer.links.BatchNormalization` does (unbiased variance); in
    test mode the running statistics themselves.

    Raises:
        ValueError: in test mode without running statistics.

    """
    if not normalize:
        return None, None
    if train:
        mean = xp.stack([z.mean(axis=(0, 2, 3)) for z in zs])
        var = xp.stack([z.var(axis=(0, 2, 3)) for z in zs])
        if running_mean is not None:
            for t, z in enumerate(zs):
                m = z.size // z.shape[1]
                adjust = m / max(m - 1., 1.)
                running_mean[t] *= decay
                running_mean[t] += (1 - decay) * mean[t]
                running_var[t] *= decay
                running_var[t] += (1 - decay) * adjust * var[t]
    else:
        if running_mean is None:
            raise ValueError('fdn_stage in test mode needs running_mean '
                             'and running_var')
        mean = running_mean.astype(zs[0].dtype, copy=True)
        var = running_var.astype(zs[0].dtype, copy=True)
    return mean, var


def stage_forward(xs, Ws, gamma, beta, w, size, kernels=None, normalize=True,
                  train=True, eps=2e-5, running_mean=None, running_var=None,
                  decay=0.9, keep_zs=True):
    """The forward of one FDN stage (SparseMask Eq. 4) on arrays.

    ``y = sum_t w_t up(bn_t(W_t x_t))``: each 1x1 convolution as a matmul
    at its input's resolution, BN folded into one scale and shift per
    (input, channel), then :func:`accumulate_kernel` (``kernels`` given) or
    :func:`accumulate_numpy` (``kernels`` None). This is the forward of
    :class:`sparsemask.functions.fdn_stage.FDNStageFunction`.

    Args:
        xs (list of array): ``(N, C_t, h_t, w_t)``.
        Ws (list of array): ``(C, C_t)``.
        gamma, beta (array): ``(T, C)``.
        w (array): ``(T,)``.
        size (tuple of int): ``(H, W)``.
        kernels: the CUDA kernels (see :func:`accumulate_kernel`), or None
            for the NumPy path.
        normalize (bool): apply BN.
        train (bool): BN with batch statistics (and update the running
            ones), else with ``running_mean`` and ``running_var``.
        eps, decay: BN's.
        running_mean, running_var (array): ``(T, C)``, or None.
        keep_zs (bool): without BN, whether to keep the 1x1 convolutions'
            outputs (only the gradient of ``w`` needs them).

    Returns:
        tuple: ``y`` ``(N, C, H, W)`` and the :class:`StageState` for
        :func:`stage_backward`.

    """
    T = len(xs)
    xp = get_array_module(*xs)
    zs = [_conv1x1(xp, x, W) for x, W in zip(xs, Ws)]
    mean, var = statistics(xp, zs, normalize, train, running_mean,
                           running_var, decay)
    state = StageState(None, None)
    if normalize:
        # BN(z) = a (z - mean) + beta with a = gamma / sqrt(var + eps).
        # The inputs are centred at their low resolution first, so that
        # a large a (small variance) does not amplify float32 rounding
        # of a z - a mean.
        state.train = train
        state.invstd = (var + eps) ** -0.5
        state.mean = mean
        zs = [z - mean[t][None, :, None, None] for t, z in enumerate(zs)]
        scale = w[:, None] * gamma * state.invstd
        shift = (w[:, None] * beta).sum(axis=0)
    else:
        scale = xp.broadcast_to(w[:, None], (T, Ws[0].shape[0]))
        shift = xp.zeros(Ws[0].shape[0], dtype=xs[0].dtype)
    # centred when normalizing; kept for the backward only where it needs
    # them
    state.sizes = [z.shape[2:] for z in zs]
    state.zs = zs if normalize or keep_zs else None
    if kernels is None:
        y = accumulate_numpy(zs, scale, shift, size)
    else:
        y = accumulate_kernel(kernels, zs, scale, shift, size)
    return y, state


def stage_backward(xs, Ws, gamma, beta, w, gy, state, kernels=None):
    """The backward of :func:`stage_forward`.

    The transposed interpolation of ``gy`` to every input size
    (:func:`transposed_upsample_kernel` with ``kernels``, else
    :func:`transposed_upsample_numpy`), then the gradients of BN and of the
    1x1 convolutions at each input's resolution.

    Args:
        xs, Ws, gamma, beta, w: the inputs of :func:`stage_forward`.
        gy (array): ``(N, C, H, W)``.
        state (StageState): from :func:`stage_forward`.
        kernels: as :func:`stage_forward`.

    Returns:
        tuple: ``gxs`` (list), ``gWs`` (list of ``(C, C_t)``), ``ggamma``,
        ``gbeta`` (``(T, C)``, None without BN) and ``gw`` (``(T,)``; None
        without BN when the zs were not kept).

    """
    T = len(xs)
    xp = get_array_module(gy)
    if kernels is None:
        downs = transposed_upsample_numpy(gy, state.sizes)
    else:
        downs = transposed_upsample_kernel(kernels, gy, state.sizes)
    g_sum = gy.sum(axis=(0, 2, 3))
    normalize = state.invstd is not None
    if normalize:
        invstd = state.invstd
        # sums of d * (z - mean) over the centred inputs, not
        # sum(d * z) - mean * sum(d), which cancels badly in float32
        xcs = state.zs
        sc = xp.stack([(d * xc).sum(axis=(0, 2, 3))
                       for d, xc in zip(downs, xcs)])
        gw = (gamma * invstd * sc + beta * g_sum[None]).sum(axis=1)
        # gradients of the per-connection BN scale and shift
        ggamma = w[:, None] * invstd * sc
        gbeta = w[:, None] * xp.broadcast_to(g_sum, gamma.shape)
    else:
        gw = None if state.zs is None else xp.stack(
            [(d * z).sum() for d, z in zip(downs, state.zs)])
        ggamma = gbeta = None
    gxs, gWs = [], []
    for t in range(T):
        d = downs[t]
        if normalize:
            a = gamma[t] * invstd[t]
            gz = (w[t] * a)[None, :, None, None] * d
            if state.train:
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
    return gxs, gWs, ggamma, gbeta, gw
