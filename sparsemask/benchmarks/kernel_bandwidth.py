"""Time and achieved bandwidth of the fused FDN stage's CUDA kernels."""

import numpy

from sparsemask.benchmarks.median_times import median_time
from sparsemask.benchmarks.stage_inputs import DECODER


def copy_bandwidth(xp, repeat, nbytes=256 * 2 ** 20):
    """The device's copy bandwidth.

    Args:
        xp (module): ``cupy`` (or ``numpy``).
        repeat (int): timed copies (the median is kept).
        nbytes (int): the bytes copied.

    Returns:
        float: bytes read + written per second.

    """
    src = xp.empty(nbytes // 4, numpy.float32)
    dst = xp.empty_like(src)
    t, _ = median_time(lambda: dst.__setitem__(Ellipsis, src), xp, repeat)
    return 2 * src.nbytes / t


def kernel_bandwidth(shapes, batch, size, xp, repeat, kernels=None):
    """Times of the CUDA kernels alone and their achieved bandwidth.

    - ``accumulate``: the whole fused accumulate step (group sums and bias
      at low resolution, then ``fdn_stage_forward``), against the bytes
      any implementation must move (``kernel_min_bytes``);
    - ``forward kernel``: ``fdn_stage_forward`` alone, against the bytes it
      moves (group sums and output-sized inputs read once, output written
      once);
    - ``backward kernels``: the transposed interpolation of gy to every
      input size (``fdn_stage_backward_rows`` + ``_cols``), against gy read
      once and one array per resized size written once.

    Each is also given as a fraction of the device's copy bandwidth.

    Args:
        shapes (list of tuple): ``(C_t, h_t, w_t)`` of each input.
        batch (int): the batch size.
        size (tuple of int): the output size.
        xp: :mod:`cupy` (or :mod:`numpy` with emulated ``kernels``).
        repeat (int): timed repeats (the median is reported).
        kernels: the kernels (default:
            :func:`sparsemask.cuda.fdn_stage_kernels`).

    Returns:
        dict: times in seconds, bytes, GB/s and fractions.

    """
    from sparsemask.cuda import fdn_stage_kernels
    from sparsemask.functions.fdn_stage import accumulate_kernel
    from sparsemask.functions.fdn_stage import launch_forward
    from sparsemask.functions.fdn_stage import transposed_upsample_kernel
    from sparsemask.functions.fdn_stage_plan import stage_plan
    rng = numpy.random.RandomState(1)
    H, W = size
    sizes = [s[1:] for s in shapes]
    zs = [xp.asarray(rng.randn(batch, DECODER, *hw).astype(numpy.float32))
          for hw in sizes]
    scale = xp.asarray(rng.uniform(0.5, 1.5, (len(zs), DECODER))
                       .astype(numpy.float32))
    shift = xp.zeros(DECODER, numpy.float32)
    kernels = kernels or fdn_stage_kernels()
    plan = stage_plan(sizes, size)
    out_elems = batch * DECODER * H * W
    t_acc, _ = median_time(
        lambda: accumulate_kernel(kernels, zs, scale, shift, size), xp,
        repeat)
    sums = [plan.scaled_sum(zs, scale, ts) for _, ts in plan.resized]
    fulls = [zs[t] for t in plan.full]
    bias = plan.bias(xp, zs, scale, shift)
    full_scale = scale[plan.full]
    t_fwd, _ = median_time(lambda: launch_forward(
        kernels, plan, sums, fulls, full_scale, bias), xp, repeat)
    fwd_bytes = 4 * (sum(int(z.size) for z in sums + fulls) + bias.size
                     + out_elems)
    gy = xp.asarray(rng.randn(batch, DECODER, H, W).astype(numpy.float32))
    t_bwd, _ = median_time(
        lambda: transposed_upsample_kernel(kernels, gy, sizes), xp, repeat)
    bwd_bytes = 4 * (out_elems + sum(batch * DECODER * h * w
                                     for (h, w), _ in plan.resized))
    copy_bw = copy_bandwidth(xp, repeat)
    min_bytes = 4 * (sum(int(z.size) for z in zs) + out_elems)
    return {
        'copy_bandwidth_GBps': copy_bw / 1e9,
        'accumulate_s': t_acc,
        'accumulate_bandwidth_GBps': min_bytes / t_acc / 1e9,
        'accumulate_bandwidth_fraction': min_bytes / t_acc / copy_bw,
        'kernel_forward_s': t_fwd,
        'kernel_forward_bytes': fwd_bytes,
        'kernel_bandwidth_GBps': fwd_bytes / t_fwd / 1e9,
        'kernel_bandwidth_fraction': fwd_bytes / t_fwd / copy_bw,
        'kernel_backward_s': t_bwd,
        'kernel_backward_bytes': bwd_bytes,
        'kernel_backward_bandwidth_GBps': bwd_bytes / t_bwd / 1e9,
        'kernel_backward_bandwidth_fraction': bwd_bytes / t_bwd / copy_bw,
    }
