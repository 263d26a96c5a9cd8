#!/usr/bin/env python3
"""GPU verification of the fused FDN stage kernels, in one command.

Runs with a GPU machine's own ``python3`` (NumPy 2, CuPy 14, PyTorch; no
Chainer, nothing to install): it imports only the Chainer-free package
``kernels/`` (the CUDA kernels, their launch code, the stage plan and the
NumPy twin) and writes ``gpu_kernel_check.json`` and
``gpu_kernel_check.txt`` (a short table) into ``--out``.

What it does, in this order (the later parts are dropped first when
``--budget-s`` is short; each skipped part says why):

1. correctness, at every decoder stage of the paper's architecture
   (configs/arch/sparsemask_mobilenetv2_voc.yaml: D8, D7, D6, D1) and of the
   full FDN (D9..D1), MobileNetV2 at 513x513, batch 16, then the same at an
   odd size (321x481, batch 5) and one stage with more resized sizes than
   one forward launch takes: the forward kernel and the backward kernels
   against the NumPy twin in float64 (max relative error), and the whole
   stage (1x1 conv, BN with batch statistics, resize, weighted sum; output
   and every gradient) of the fused kernels, of the same stage in CuPy array
   ops (unfused) and of PyTorch against the float64 NumPy stage;
2. speed at 513x513, batch 16, as ratios in the same run (CUDA events,
   warm-up excluded, median): the fused stage vs the unfused CuPy stage vs
   the authors' formulation in PyTorch eager (1x1 conv -> BN ->
   F.interpolate(bilinear, align_corners=True) -> sum), forward and
   forward+backward, TF32 off everywhere;
3. the fraction of the device's copy bandwidth (measured in the same run)
   that the fused forward kernel, the accumulate step and the backward
   kernels reach, with the bytes each must move;
4. ``compute-sanitizer --tool memcheck`` and ``--tool racecheck`` on small
   stages (CuPy's memory pool off, so that every array is its own
   allocation);
5. Nsight Compute (``ncu``): registers, occupancy, achieved DRAM bandwidth
   and duration of the three kernels at the largest stage;
6. ``torch.compile`` of the PyTorch stage (``--compile-stages``).

Exit status: 0 when every check that ran passed, 1 when one failed.

On a lent GPU machine, with the device tool's ``run`` (it runs in the
repository root; the whole run takes under 8 minutes on one H100, CuPy's
compilation included), ``timeout_s`` 570::

    python3 scripts/gpu_kernel_check.py --out "$OUT" --budget-s 450

then copy ``$OUT/gpu_kernel_check.json`` to ``eval/results/gpu/``. To use
the same lent machine for the Chainer tier too, the first part of the
minimal bundle rides along in this call (``carry`` its three files, prefix
the command with ``mkdir -p /opt/smb; cp result/offline_bundle_minimal/*
/opt/smb/;``) and a second call installs it and trains: both calls,
exactly, are at the top of ``scripts/gpu_checks.sh``.

The CPU rehearsal (what CI runs, so that a typo cannot waste a lent GPU):
the same script with the kernels compiled by g++ and run by the emulator
(``kernels/emulator.py``) standing in for CuPy, at scaled-down sizes that
keep every stage's structure (its inputs, their channel ratios and their
relative sizes: 33x33 instead of 513x513, channels / 8), and PyTorch on the
CPU where it is importable::

    python3 scripts/gpu_kernel_check.py --emulate --out result/gpu_kernel_check
"""

import argparse
import collections
import importlib
import importlib.util
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

import numpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from kernels import fdn_stage_launch as launch  # NOQA: E402
from kernels import fdn_stage_plan  # NOQA: E402
from kernels import loader  # NOQA: E402

JSON_NAME = 'gpu_kernel_check.json'
TEXT_NAME = 'gpu_kernel_check.txt'
MAX_JSON_BYTES = 16 * 2 ** 20
TOOL_TAIL = 4000  # characters of a tool's output kept in the JSON

# MobileNetV2 (TF SAME padding): channels and strides of E1..E9; the
# decoder's depth; G is the global average pool of E9 (1x1)
CHANNELS = (32, 16, 24, 32, 64, 96, 160, 320, 1280)
STRIDES = (2, 2, 4, 8, 16, 16, 32, 32, 32)
DECODER = 64
N_STAGES = 9
#: configs/arch/sparsemask_mobilenetv2_voc.yaml (paper Fig. 3), in the
#: order the decoder computes them
PAPER_ARCH = collections.OrderedDict([
    ('D8', ('E9', 'G')),
    ('D7', ('E7', 'G')),
    ('D6', ('E6', 'G')),
    ('D1', ('E1', 'E6', 'E7', 'E8', 'E9', 'D6', 'D7', 'D8', 'G')),
])

# Relative errors (to the largest magnitude of the quantity's kind, e.g. all
# input gradients of a stage) that pass. float32 against float64: the
# kernels' sums are short (a few terms per output, a few hundred per input
# pixel in the backward); the whole stage sums over up to 16 x 257 x 257
# pixels per channel (BN statistics, conv weight gradients) and 6.8e7 for
# the gradient of a connection weight. A real error (a wrong interpolation
# weight or index, a skipped grid-stride iteration, a wrong BN term) is of
# order 1.
KERNEL_RTOL = 5e-5
STAGE_RTOL = 5e-4

GRAD_KINDS = ('y', 'gx', 'gW', 'ggamma', 'gbeta', 'gw')
IMPLS = ('fused', 'unfused', 'torch_eager', 'torch_compile')


def log(msg):
    print('[{}] {}'.format(time.strftime('%H:%M:%S'), msg), flush=True)


# --------------------------------------------------------------- problems

def arch_full(n=N_STAGES):
    """The full FDN: stage ``D<l>`` reads E_i (i >= l), D_i (i > l) and G,
    in the canonical order (encoder finest first, decoder, G)."""
    return collections.OrderedDict(
        ('D{}'.format(k),
         tuple(['E{}'.format(i) for i in range(k, n + 1)]
               + ['D{}'.format(i) for i in range(k + 1, n + 1)] + ['G']))
        for k in range(n, 0, -1))


Stage = collections.namedtuple('Stage', ['name', 'inputs', 'size'])


class Problem(object):
    """A set of decoder stages at one image size and batch.

    Args:
        name (str): its key in the results.
        stages (list of Stage): each input is ``(name, channels, h, w)``.
        batch (int): the batch size.
        decoder (int): the stages' output channels.
        image (tuple): the input image size (for the record).
        timed (bool): also measure speed and bandwidth.

    """

    def __init__(self, name, stages, batch, decoder, image, timed):
        self.name = name
        self.stages = stages
        self.batch = batch
        self.decoder = decoder
        self.image = image
        self.timed = timed

    def describe(self):
        return {'batch': self.batch, 'image': list(self.image),
                'decoder': self.decoder, 'timed': self.timed,
                'stages': [s.name for s in self.stages]}


def mobilenet_problem(name, arch, image, batch, channel_div, timed):
    """The stages of ``arch`` for MobileNetV2 at ``image`` (channels and
    the decoder's depth divided by ``channel_div``, at least 1)."""
    H, W = image

    def size(i):
        s = STRIDES[i - 1]
        return -(-H // s), -(-W // s)

    def ch(c):
        return max(1, c // channel_div)

    stages = []
    for stage, names in arch.items():
        inputs = []
        for n in names:
            if n == 'G':
                inputs.append((n, ch(CHANNELS[-1]), 1, 1))
            elif n[0] == 'E':
                i = int(n[1:])
                inputs.append((n, ch(CHANNELS[i - 1])) + size(i))
            else:
                inputs.append((n, ch(DECODER)) + size(int(n[1:])))
        stages.append(Stage(stage, inputs, size(int(stage[1:]))))
    return Problem(name, stages, batch, ch(DECODER), image, timed)


def multi_launch_problem(emulate):
    """One stage with six resized sizes (two forward launches of four
    groups at most), inputs larger than the output, an output-sized and a
    1x1 input, odd sizes."""
    if emulate:
        size = (13, 17)
        sizes = [(13, 17), (1, 1), (7, 9), (4, 5), (3, 3), (2, 2), (1, 3),
                 (25, 33), (7, 9)]
        batch, C, decoder = 3, 3, 8
    else:
        size = (97, 131)
        sizes = [(97, 131), (1, 1), (49, 66), (25, 33), (13, 17), (7, 9),
                 (4, 5), (193, 261), (49, 66)]
        batch, C, decoder = 4, 16, 64
    inputs = [('X{}'.format(t), C, h, w) for t, (h, w) in enumerate(sizes)]
    return Problem('multi_launch', [Stage('S', inputs, size)], batch,
                   decoder, size, False)


def problems(args):
    div = 8 if args.emulate else 1
    image = tuple(args.size)
    odd = tuple(args.odd_size)
    return [
        mobilenet_problem('paper', PAPER_ARCH, image, args.batch, div, True),
        mobilenet_problem('full', arch_full(), image, args.batch, div, True),
        mobilenet_problem('paper_odd', PAPER_ARCH, odd, args.odd_batch, div,
                          False),
        mobilenet_problem('full_odd', arch_full(), odd, args.odd_batch, div,
                          False),
        multi_launch_problem(args.emulate),
    ]


def stage_elements(stage, batch, decoder):
    """Input elements plus three output-sized arrays (y, gy, a gradient)."""
    H, W = stage.size
    return batch * (sum(c * h * w for _, c, h, w in stage.inputs)
                    + 3 * decoder * H * W)


def describe_stage(stage):
    plan = fdn_stage_plan.stage_plan([(h, w) for _, _, h, w in stage.inputs],
                                     stage.size)
    G = len(plan.resized)
    return {
        'inputs': [n for n, _, _, _ in stage.inputs],
        'input_shapes': [[c, h, w] for _, c, h, w in stage.inputs],
        'output_size': list(stage.size),
        'groups': {'full': len(plan.full), 'point': len(plan.point),
                   'resized': [list(hw) for hw, _ in plan.resized]},
        'forward_launches': max(1, -(-G // launch.MAX_GROUPS)),
        'backward_launches': 2 if G else 0,
    }


def make_data(stage, batch, decoder, seed):
    """Random float32 host arrays of one stage."""
    rng = numpy.random.default_rng(seed)
    f32 = numpy.float32
    T = len(stage.inputs)
    H, W = stage.size
    return {
        'xs': [rng.standard_normal((batch, c, h, w), dtype=f32)
               for _, c, h, w in stage.inputs],
        'Ws': [(rng.standard_normal((decoder, c), dtype=f32)
                / f32(math.sqrt(c))) for _, c, _, _ in stage.inputs],
        'gamma': rng.uniform(0.5, 1.5, (T, decoder)).astype(f32),
        'beta': rng.uniform(-1, 1, (T, decoder)).astype(f32),
        'w': rng.uniform(0.2, 1.0, T).astype(f32),
        'gy': rng.standard_normal((batch, decoder, H, W), dtype=f32),
    }


# ---------------------------------------------------------------- devices

class Device(object):
    """The array module, the kernels and a timer: CuPy on a GPU, or NumPy
    with the emulated kernels (``--emulate``)."""

    def __init__(self, emulate, device_id, tmpdir):
        self.emulate = emulate
        if emulate:
            from kernels import emulator
            self.xp = numpy
            self.kernels = emulator.emulated_kernels(
                out_dir=tmpdir, max_grid=4, block=32)
            self.name = 'CPU ({}), CUDA kernels emulated with g++'.format(
                platform.processor() or platform.machine())
        else:
            import cupy
            self.xp = cupy
            cupy.cuda.Device(device_id).use()
            self.kernels = loader.fdn_stage_kernels()
            props = cupy.cuda.runtime.getDeviceProperties(device_id)
            name = props['name']
            self.name = name.decode() if isinstance(name, bytes) else name
            self.props = props

    def info(self):
        xp = self.xp
        out = {'device': self.name, 'emulated': self.emulate,
               'numpy': numpy.__version__}
        if not self.emulate:
            rt = xp.cuda.runtime
            out.update({
                'cupy': xp.__version__,
                'cuda_runtime': rt.runtimeGetVersion(),
                'cuda_driver': rt.driverGetVersion(),
                'compute_capability': '{}{}'.format(
                    self.props['major'], self.props['minor']),
                'memory_bytes': int(self.props['totalGlobalMem']),
                'sm_count': int(self.props['multiProcessorCount']),
            })
        return out

    def to_device(self, a):
        return self.xp.asarray(a)

    def to_host(self, a):
        if self.xp is numpy:
            return a
        return self.xp.asnumpy(a)

    def synchronize(self):
        if self.xp is not numpy:
            self.xp.cuda.Device().synchronize()

    def free(self):
        if self.xp is not numpy:
            self.synchronize()
            self.xp.get_default_memory_pool().free_all_blocks()

    def time_ms(self, fn, warmup, repeat):
        """Median milliseconds of ``fn`` (CUDA events on the GPU)."""
        for _ in range(warmup):
            fn()
        self.synchronize()
        times = []
        if self.xp is numpy:
            for _ in range(repeat):
                t0 = time.perf_counter()
                fn()
                times.append(1e3 * (time.perf_counter() - t0))
        else:
            cuda = self.xp.cuda
            start, end = cuda.Event(), cuda.Event()
            for _ in range(repeat):
                start.record()
                fn()
                end.record()
                end.synchronize()
                times.append(cuda.get_elapsed_time(start, end))
        return float(numpy.median(times))

    def copy_bandwidth(self, warmup, repeat):
        """Bytes read + written per second by a device-to-device copy (the
        better of cudaMemcpy and CuPy's elementwise copy)."""
        xp = self.xp
        n = (2 ** 30 if xp is not numpy else 2 ** 24) // 4
        src = xp.ones(n, numpy.float32)
        dst = xp.empty_like(src)
        res = {'bytes_per_copy': 2 * src.nbytes}
        t = self.time_ms(lambda: xp.copyto(dst, src), warmup, repeat)
        res['elementwise_GBps'] = 2 * src.nbytes / t / 1e6
        if xp is not numpy:
            t = self.time_ms(lambda: dst.data.copy_from_device(
                src.data, src.nbytes), warmup, repeat)
            res['memcpy_GBps'] = 2 * src.nbytes / t / 1e6
        res['copy_GBps'] = max(v for k, v in res.items()
                               if k.endswith('_GBps'))
        return res


# --------------------------------------------------- the unfused CuPy stage

_AXES = {}


def _axis(xp, n_out, n_in, dtype):
    key = (xp.__name__, n_out, n_in, numpy.dtype(dtype).name)
    if key not in _AXES:
        i0, i1, f = fdn_stage_plan.interpolation_axis(n_out, n_in)
        _AXES[key] = (xp.asarray(i0), xp.asarray(i1),
                      xp.asarray(f.astype(dtype)))
    return _AXES[key]


def _add_at(xp, a, index, values):
    """``a[index] += values`` with repeated indices (``ufunc.at``; atomics
    on the GPU)."""
    if xp is numpy:
        numpy.add.at(a, index, values)
        return
    try:
        xp.add.at(a, index, values)
    except Exception:  # a CuPy whose ufunc.at lacks this indexing
        import cupyx
        cupyx.scatter_add(a, index, values)


def resize_gather(xp, z, size):
    """Bilinear resizing, align_corners=True, by gathering the two rows
    and then the two columns of every output (as F.resize_images)."""
    H, W = size
    N, C, h, w = z.shape
    if (h, w) == (H, W):
        return z
    i0, i1, f = _axis(xp, H, h, z.dtype)
    f = f[:, None]
    r = z[:, :, i0] * (1 - f) + z[:, :, i1] * f
    i0, i1, f = _axis(xp, W, w, z.dtype)
    return r[..., i0] * (1 - f) + r[..., i1] * f


def resize_scatter(xp, g, in_size):
    """The backward of :func:`resize_gather`: scatter-adds (atomics on the
    GPU), columns and then rows."""
    N, C, H, W = g.shape
    h, w = in_size
    if (h, w) == (H, W):
        return g
    i0, i1, f = _axis(xp, W, w, g.dtype)
    cols = xp.zeros((N, C, H, w), dtype=g.dtype)
    all3 = (slice(None),) * 3
    _add_at(xp, cols, all3 + (i0,), g * (1 - f))
    _add_at(xp, cols, all3 + (i1,), g * f)
    i0, i1, f = _axis(xp, H, h, g.dtype)
    f = f[:, None]
    out = xp.zeros((N, C, h, w), dtype=g.dtype)
    all2 = (slice(None),) * 2
    _add_at(xp, out, all2 + (i0,), cols * (1 - f))
    _add_at(xp, out, all2 + (i1,), cols * f)
    return out


def unfused_forward(xp, d, size, eps):
    """The stage in array ops, input by input as the stock Chainer stage:
    1x1 conv (a matmul), BN (batch statistics), resize to the output,
    weighted sum. Every input is resized at full resolution."""
    y = None
    saved = []
    for t, (x, W) in enumerate(zip(d['xs'], d['Ws'])):
        z = launch._conv1x1(xp, x, W)
        mean = z.mean(axis=(0, 2, 3), keepdims=True)
        var = z.var(axis=(0, 2, 3), keepdims=True)
        invstd = (var + eps) ** -0.5
        xhat = (z - mean) * invstd
        b = xhat * d['gamma'][t][None, :, None, None] \
            + d['beta'][t][None, :, None, None]
        u = resize_gather(xp, b, size)
        y = d['w'][t] * u if y is None else y + d['w'][t] * u
        saved.append((xhat, invstd, u))
    return y, saved


def unfused_backward(xp, d, gy, saved):
    gxs, gWs, ggamma, gbeta, gw = [], [], [], [], []
    for t, (x, W) in enumerate(zip(d['xs'], d['Ws'])):
        xhat, invstd, u = saved[t]
        gw.append((gy * u).sum())
        gb = resize_scatter(xp, d['w'][t] * gy, x.shape[2:])
        gbeta.append(gb.sum(axis=(0, 2, 3)))
        ggamma.append((gb * xhat).sum(axis=(0, 2, 3)))
        gxhat = gb * d['gamma'][t][None, :, None, None]
        gz = invstd * (gxhat - gxhat.mean(axis=(0, 2, 3), keepdims=True)
                       - xhat * (gxhat * xhat).mean(axis=(0, 2, 3),
                                                    keepdims=True))
        N, C, h, w = gz.shape
        gz2 = gz.reshape(N, C, h * w)
        x2 = x.reshape(N, x.shape[1], h * w)
        gWs.append(xp.tensordot(gz2, x2, axes=([0, 2], [0, 2])))
        gxs.append(xp.matmul(W.T, gz2).reshape(x.shape))
    return gxs, gWs, xp.stack(ggamma), xp.stack(gbeta), xp.stack(gw)


# ----------------------------------------------------------- the PyTorch stage

class Torch(object):
    """The authors' formulation in PyTorch: per input 1x1 conv -> BN (batch
    statistics) -> F.interpolate(bilinear, align_corners=True) -> times
    w_t, summed."""

    def __init__(self, emulate):
        import torch
        import torch.nn.functional as F
        self.torch = torch
        self.F = F
        self.device = 'cpu' if emulate else 'cuda'
        if emulate:  # steadier CPU timings on a shared machine
            torch.set_num_threads(1)
        # float32 as CuPy's matmuls: no TF32 in convolutions or matmuls
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        dynamo = getattr(torch, '_dynamo', None)
        if dynamo is not None:
            for k in ('cache_size_limit', 'recompile_limit'):
                if hasattr(dynamo.config, k):
                    setattr(dynamo.config, k, 64)

    def info(self):
        t = self.torch
        return {'torch': t.__version__, 'torch_cuda': t.version.cuda,
                'device': self.device,
                'cudnn': (t.backends.cudnn.version()
                          if self.device == 'cuda' else None)}

    def stage(self, xs, Ws, gamma, beta, w, size, eps):
        F = self.F
        y = None
        for t in range(len(xs)):
            z = F.conv2d(xs[t], Ws[t][:, :, None, None])
            z = F.batch_norm(z, None, None, gamma[t], beta[t], training=True,
                             eps=eps)
            if tuple(z.shape[2:]) != tuple(size):
                z = F.interpolate(z, size=tuple(size), mode='bilinear',
                                  align_corners=True)
            y = w[t] * z if y is None else y + w[t] * z
        return y

    def stage_expand(self, xs, Ws, gamma, beta, w, size, eps):
        """:meth:`stage` with the 1x1 inputs broadcast by ``expand`` (the
        same values): PyTorch 2.13's inductor fails to generate the CPU
        code of ``interpolate``'s backward from 1x1 (an AssertionError in
        the scatter's codegen), so torch.compile falls back to this."""
        F = self.F
        y = None
        for t in range(len(xs)):
            z = F.conv2d(xs[t], Ws[t][:, :, None, None])
            z = F.batch_norm(z, None, None, gamma[t], beta[t], training=True,
                             eps=eps)
            if tuple(z.shape[2:]) == (1, 1):
                z = z.expand(-1, -1, *size)
            elif tuple(z.shape[2:]) != tuple(size):
                z = F.interpolate(z, size=tuple(size), mode='bilinear',
                                  align_corners=True)
            y = w[t] * z if y is None else y + w[t] * z
        return y

    def tensors(self, d):
        torch = self.torch

        def t(a):
            return torch.as_tensor(a, device=self.device).requires_grad_()
        out = {k: [t(a) for a in d[k]] for k in ('xs', 'Ws')}
        out.update({k: t(d[k]) for k in ('gamma', 'beta', 'w')})
        out['gy'] = torch.as_tensor(d['gy'], device=self.device)
        return out

    def leaves(self, d):
        return d['xs'] + d['Ws'] + [d['gamma'], d['beta'], d['w']]

    def functions(self, fn, d, size, eps):
        """forward() and forward_backward() of ``fn`` (the stage, eager or
        compiled) on the tensors ``d``."""
        torch = self.torch
        leaves = self.leaves(d)

        def forward():
            with torch.no_grad():
                return fn(d['xs'], d['Ws'], d['gamma'], d['beta'], d['w'],
                          size, eps)

        def forward_backward():
            y = fn(d['xs'], d['Ws'], d['gamma'], d['beta'], d['w'], size,
                   eps)
            return y, torch.autograd.grad(y, leaves, d['gy'])
        return forward, forward_backward

    def results(self, d, y, grads, xp):
        """The output and gradients as arrays of ``xp`` (CuPy through
        DLPack, without a copy; NumPy on the CPU)."""
        T = len(d['xs'])

        def h(a):
            a = a.detach()
            return a.numpy() if xp is numpy else xp.from_dlpack(a)
        return {'y': h(y), 'gx': [h(g) for g in grads[:T]],
                'gW': [h(g) for g in grads[T:2 * T]],
                'ggamma': h(grads[2 * T]), 'gbeta': h(grads[2 * T + 1]),
                'gw': h(grads[2 * T + 2])}

    def time_ms(self, fn, warmup, repeat):
        torch = self.torch
        for _ in range(warmup):
            fn()
        times = []
        if self.device == 'cpu':
            for _ in range(repeat):
                t0 = time.perf_counter()
                fn()
                times.append(1e3 * (time.perf_counter() - t0))
        else:
            torch.cuda.synchronize()
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            for _ in range(repeat):
                start.record()
                fn()
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
        return float(numpy.median(times))

    def free(self):
        if self.device == 'cuda':
            self.torch.cuda.synchronize()
            self.torch.cuda.empty_cache()


def load_torch(emulate):
    """:class:`Torch`, or the reason it cannot run."""
    try:
        t = Torch(emulate)
    except ImportError as e:
        return None, 'PyTorch is not importable ({}: {})'.format(
            type(e).__name__, e)
    if not emulate and not t.torch.cuda.is_available():
        return None, 'PyTorch {} sees no CUDA device (torch.version.cuda={})'\
            .format(t.torch.__version__, t.torch.version.cuda)
    return t, None


# ------------------------------------------------------------- the checks

def rel_err(xp, got, ref):
    """max |got - ref| / max |ref| over a list of arrays of one kind (on
    the device: the float64 reference is uploaded, see :func:`upload`)."""
    if not isinstance(ref, (list, tuple)):
        got, ref = [got], [ref]
    err = scale = 0.0
    for g, r in zip(got, ref):
        if not r.size:
            continue
        g = g.reshape(r.shape).astype(numpy.float64)
        err = max(err, float(xp.abs(g - r).max()))
        scale = max(scale, float(xp.abs(r).max()))
    return err / scale if scale > 0 else err


def upload(dev, tree):
    """Arrays (or lists of them) of a dict to the device, each array once
    (inputs of one size share one array of gradients)."""
    memo = {}

    def up(a):
        if id(a) not in memo:
            memo[id(a)] = dev.to_device(a)
        return memo[id(a)]
    return {k: ([up(a) for a in v] if isinstance(v, list) else up(v))
            for k, v in tree.items()}


def reference(d, size, eps):
    """The NumPy twin in float64: the whole stage's forward and backward
    (:func:`kernels.fdn_stage_launch.stage_forward` without kernels), and
    the inputs of the accumulate step it ran."""
    def f64(a):
        return a.astype(numpy.float64)
    xs, Ws = [f64(x) for x in d['xs']], [f64(W) for W in d['Ws']]
    gamma, beta, w, gy = (f64(d[k]) for k in ('gamma', 'beta', 'w', 'gy'))
    y, st = launch.stage_forward(xs, Ws, gamma, beta, w, size, eps=eps)
    gxs, gWs, gg, gb, gw = launch.stage_backward(xs, Ws, gamma, beta, w, gy,
                                                 st)
    return {
        'y': y, 'gx': gxs, 'gW': gWs, 'ggamma': gg, 'gbeta': gb, 'gw': gw,
        # what the accumulate step got (centred zs, folded BN scale/shift)
        'zs': st.zs, 'scale': w[:, None] * gamma * st.invstd,
        'shift': (w[:, None] * beta).sum(axis=0), 'sizes': st.sizes,
        'downs': launch.transposed_upsample_numpy(gy, st.sizes),
    }


def stage_errors(xp, got, ref):
    return {k: rel_err(xp, got[k], ref[k]) for k in GRAD_KINDS}


def _as_dict(y, grads):
    gxs, gWs, gg, gb, gw = grads
    return {'y': y, 'gx': gxs, 'gW': gWs, 'ggamma': gg, 'gbeta': gb,
            'gw': gw}


class Checker(object):
    """Runs the parts, keeps the results, writes them after each part."""

    def __init__(self, args):
        self.args = args
        self.t0 = time.time()
        self.out = args.out
        os.makedirs(self.out, exist_ok=True)
        self.result = collections.OrderedDict([
            ('script', 'scripts/gpu_kernel_check.py'),
            ('mode', 'emulate' if args.emulate else 'gpu'),
            ('command', ' '.join([os.path.basename(sys.executable)]
                                 + sys.argv)),
            ('started', time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())),
            ('budget_s', args.budget_s),
            ('tolerances', {'kernel_rtol': KERNEL_RTOL,
                            'stage_rtol': STAGE_RTOL}),
            ('environment', {}),
            ('plan', {}),
            ('parts', collections.OrderedDict()),
            ('problems', collections.OrderedDict()),
            ('stages', []),
            ('copy_bandwidth', None),
            ('tools', collections.OrderedDict()),
            ('torch_compile', []),
            ('failures', []),
        ])

    # -- bookkeeping
    def elapsed(self):
        return time.time() - self.t0

    def part(self, name, status, reason=None, **extra):
        entry = {'status': status, 'at_s': round(self.elapsed(), 1)}
        if reason:
            entry['reason'] = reason
        entry.update(extra)
        self.result['parts'][name] = entry
        line = '{}: {}'.format(name, status)
        if reason:
            line += ' ({})'.format(reason)
        log(line)

    def fail(self, what):
        self.result['failures'].append(what)
        log('FAILED: ' + what)

    def fits(self, name, estimate):
        """Whether an optional part fits the time left; records it as
        skipped otherwise."""
        left = self.args.budget_s - self.elapsed()
        if estimate <= left:
            return True
        self.part(name, 'skipped',
                  'budget: about {:.0f} s needed, {:.0f} s of --budget-s {} '
                  'left'.format(estimate, max(left, 0), self.args.budget_s))
        return False

    def write(self):
        self.result['elapsed_s'] = round(self.elapsed(), 1)
        self.result['ok'] = not self.result['failures']
        text = json.dumps(_jsonable(self.result), indent=1) + '\n'
        if len(text.encode()) > MAX_JSON_BYTES:  # never expected: be safe
            for k in ('tools',):
                self.result[k] = {'dropped': 'the JSON was over 16 MiB'}
            text = json.dumps(_jsonable(self.result), indent=1) + '\n'
        _atomic_write(os.path.join(self.out, JSON_NAME), text)
        _atomic_write(os.path.join(self.out, TEXT_NAME),
                      format_table(self.result))


def _atomic_write(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def _jsonable(o):
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, (numpy.floating, float)):
        v = float(o)
        return v if math.isfinite(v) else str(v)
    if isinstance(o, numpy.integer):
        return int(o)
    if isinstance(o, numpy.ndarray):
        return _jsonable(o.tolist())
    if isinstance(o, bytes):
        return o.decode(errors='replace')
    return o


# ------------------------------------------------------------------ budget

def stage_estimates(args, p, stage, have_torch):
    """Estimated seconds of one stage's correctness and speed checks.

    Per element of the stage (see :func:`stage_elements`): the float64
    NumPy reference on the host dominates correctness; speed runs (warm-up
    + repeat) x 2 or 3 implementations x (forward, forward+backward).
    """
    gpu = not args.emulate
    e = stage_elements(stage, p.batch, p.decoder)
    corr = (8e-8 if gpu else 2e-6) * e + 0.5
    runs = (args.warmup + args.repeat) * (3 if have_torch else 2)
    speed = ((4e-10 if gpu else 5e-7) * e * runs + 0.5) if p.timed else 0.0
    return corr, speed


def plan_parts(args, probs, have_torch):
    """Estimated seconds of each part, and the optional ones dropped (the
    slowest first) until the estimate fits ``--budget-s``.

    Returns:
        tuple: ``estimates`` (dict), ``dropped`` (dict name -> reason) and
        the estimated total of what is left.

    """
    gpu = not args.emulate
    est = collections.OrderedDict()
    est['setup'] = 30.0 if gpu else 3.0
    for p in probs:
        c = [stage_estimates(args, p, s, have_torch) for s in p.stages]
        est['correctness:' + p.name] = sum(a for a, _ in c)
        if p.timed:
            est['speed:' + p.name] = sum(b for _, b in c)
    # the tools: a Python process with CuPy under the tool (CuPy's
    # compiled kernels are cached on disk by the main run)
    est['memcheck'] = 40.0 if gpu else 5.0
    est['racecheck'] = 45.0 if gpu else 5.0
    est['ncu'] = 45.0 if gpu else 5.0
    for spec in args.compile_stages:
        est['torch_compile:' + spec] = 60.0
    # drop order: torch.compile (the last stage given first), ncu,
    # racecheck, memcheck, the speed of the full FDN, the odd sizes
    drop = ['torch_compile:' + s for s in reversed(args.compile_stages)]
    drop += ['ncu', 'racecheck', 'memcheck', 'speed:full',
             'correctness:multi_launch', 'correctness:full_odd',
             'correctness:paper_odd']
    dropped = collections.OrderedDict()
    for name in args.skip:
        for k in list(est):
            if k == name or k.startswith(name + ':'):
                dropped[k] = 'skipped with --skip {}'.format(name)
    total = sum(v for k, v in est.items() if k not in dropped)
    for name in drop:
        if total <= args.budget_s:
            break
        if name in est and name not in dropped:
            dropped[name] = ('budget: the estimate of everything was {:.0f} '
                             's > --budget-s {:g}; dropped first as one of '
                             'the slowest parts'.format(total,
                                                        args.budget_s))
            total -= est[name]
    return est, dropped, total


# ------------------------------------------------------------------ stages

def check_stage(chk, dev, torch_, p, stage, seed):
    """Correctness (and speed, for timed problems) of one stage; the
    device's memory is freed after it."""
    try:
        return _check_stage(chk, dev, torch_, p, stage, seed)
    finally:
        dev.free()
        if torch_ is not None:
            torch_.free()


def _check_stage(chk, dev, torch_, p, stage, seed):
    xp = dev.xp
    eps = 2e-5
    row = collections.OrderedDict([('problem', p.name), ('stage', stage.name),
                                   ('batch', p.batch)])
    row.update(describe_stage(stage))
    row['output'] = [p.batch, p.decoder] + list(stage.size)
    t_start = time.time()
    host = make_data(stage, p.batch, p.decoder, seed)
    ref = reference(host, stage.size, eps)
    row['reference_s'] = round(time.time() - t_start, 2)
    d = upload(dev, host)
    # the float64 reference on the device, where the errors are computed
    ref_d = upload(dev, {k: ref[k] for k in GRAD_KINDS + ('downs',)})
    errors = collections.OrderedDict()
    shapes = collections.OrderedDict()

    # the kernels alone, on what the accumulate step got in float64
    f32 = numpy.float32
    zs = [dev.to_device(z.astype(f32)) for z in ref['zs']]
    scale = dev.to_device(ref['scale'].astype(f32))
    shift = dev.to_device(ref['shift'].astype(f32))
    y = launch.accumulate_kernel(dev.kernels, zs, scale, shift, stage.size)
    shapes['kernel_forward'] = list(y.shape)
    errors['kernel_forward'] = rel_err(xp, y, ref_d['y'])
    downs = launch.transposed_upsample_kernel(dev.kernels, d['gy'],
                                              ref['sizes'])
    shapes['kernel_backward'] = [list(a.shape) for a in downs]
    errors['kernel_backward'] = rel_err(xp, downs, ref_d['downs'])
    del zs, y, downs

    # the whole stage: fused, unfused, PyTorch
    impl = collections.OrderedDict()

    def fused_fwd():
        return launch.stage_forward(d['xs'], d['Ws'], d['gamma'], d['beta'],
                                    d['w'], stage.size, kernels=dev.kernels,
                                    eps=eps)

    def fused_fwd_bwd():
        y, st = fused_fwd()
        return y, launch.stage_backward(d['xs'], d['Ws'], d['gamma'],
                                        d['beta'], d['w'], d['gy'], st,
                                        kernels=dev.kernels)

    def unfused_fwd():
        return unfused_forward(xp, d, stage.size, eps)

    def unfused_fwd_bwd():
        y, saved = unfused_fwd()
        return y, unfused_backward(xp, d, d['gy'], saved)

    impl['fused'] = (fused_fwd, fused_fwd_bwd, dev)
    impl['unfused'] = (unfused_fwd, unfused_fwd_bwd, dev)
    for name, (fwd, fwd_bwd, _) in impl.items():
        y, grads = fwd_bwd()
        got = _as_dict(y, grads)
        shapes[name] = {k: ([list(a.shape) for a in got[k]]
                            if isinstance(got[k], list)
                            else list(got[k].shape)) for k in GRAD_KINDS}
        errors[name] = stage_errors(xp, got, ref_d)
        del y, grads, got
    td = None
    if torch_ is not None:
        td = torch_.tensors(host)
        fwd, fwd_bwd = torch_.functions(torch_.stage, td, stage.size, eps)
        y, grads = fwd_bwd()
        got = torch_.results(td, y, grads, xp)
        shapes['torch_eager'] = {k: ([list(a.shape) for a in got[k]]
                                     if isinstance(got[k], list)
                                     else list(got[k].shape))
                                 for k in GRAD_KINDS}
        errors['torch_eager'] = stage_errors(xp, got, ref_d)
        del y, grads, got
        impl['torch_eager'] = (fwd, fwd_bwd, torch_)
    row['shapes'] = shapes
    row['errors'] = errors
    row['max_error'] = {
        k: (v if isinstance(v, float) else max(v.values()))
        for k, v in errors.items()}
    for k, v in row['max_error'].items():
        tol = KERNEL_RTOL if k.startswith('kernel') else STAGE_RTOL
        if not v <= tol:
            chk.fail('{}/{}: {} max relative error {:.3g} > {:g}'.format(
                p.name, stage.name, k, v, tol))
    T = len(stage.inputs)
    expected = {'y': row['output'],
                'gx': [[p.batch] + sh for sh in row['input_shapes']],
                'gW': [[p.decoder, sh[0]] for sh in row['input_shapes']],
                'ggamma': [T, p.decoder], 'gbeta': [T, p.decoder],
                'gw': [T]}
    row['expected_shapes'] = expected
    for k in ('fused', 'unfused') + (('torch_eager',) if td else ()):
        if shapes[k] != expected:
            chk.fail('{}/{}: {} shapes {} differ from the expected {}'
                     .format(p.name, stage.name, k, shapes[k], expected))
    del ref, ref_d
    if p.timed and 'speed:' + p.name not in chk.dropped:
        row['speed'] = speed(chk, dev, impl, d, stage, p)
    row['elapsed_s'] = round(time.time() - t_start, 2)
    return row


def speed(chk, dev, impl, d, stage, p):
    args = chk.args
    res = collections.OrderedDict()
    for mode, idx in (('forward_ms', 0), ('forward_backward_ms', 1)):
        res[mode] = collections.OrderedDict()
        for name, fns in impl.items():
            res[mode][name] = fns[2].time_ms(fns[idx], args.warmup,
                                             args.repeat)
    res['ratios'] = collections.OrderedDict()
    for mode in ('forward_ms', 'forward_backward_ms'):
        fused = res[mode]['fused']
        for name, t in res[mode].items():
            if name != 'fused':
                res['ratios']['{}/fused {}'.format(
                    name, mode[:-3])] = t / fused
    res['bandwidth'] = bandwidth(chk, dev, d, stage, p, res)
    return res


def bandwidth(chk, dev, d, stage, p, res):
    """The fused kernels' bytes and achieved bandwidth against the copy."""
    args = chk.args
    copy = (chk.result['copy_bandwidth'] or {}).get('copy_GBps')
    rng = numpy.random.default_rng(1)
    f32 = numpy.float32
    B, C = p.batch, p.decoder
    H, W = stage.size
    sizes = [(h, w) for _, _, h, w in stage.inputs]
    zs = [dev.to_device(rng.standard_normal((B, C, h, w), dtype=f32))
          for h, w in sizes]
    scale = dev.to_device(rng.uniform(0.5, 1.5, (len(zs), C)).astype(f32))
    shift = dev.to_device(numpy.zeros(C, f32))
    plan = fdn_stage_plan.stage_plan(sizes, stage.size)
    xp = dev.xp
    sums = [plan.scaled_sum(zs, scale, ts) for _, ts in plan.resized]
    fulls = [zs[t] for t in plan.full]
    bias = plan.bias(xp, zs, scale, shift)
    out_elems = B * C * H * W
    k = dev.kernels
    res_ = collections.OrderedDict()
    # the forward kernel alone: group sums and output-sized inputs read
    # once, the bias read, the output written once
    t = dev.time_ms(lambda: launch.launch_forward(
        k, plan, sums, fulls, scale[plan.full], bias), args.warmup,
        args.repeat)
    res_['forward_kernel'] = (t, 4 * (sum(int(a.size) for a in sums + fulls)
                                      + int(bias.size) + out_elems))
    # the accumulate step (group sums and bias at low resolution, then the
    # kernel): every conv output read once, the output written once
    t = dev.time_ms(lambda: launch.accumulate_kernel(
        k, zs, scale, shift, stage.size), args.warmup, args.repeat)
    res_['accumulate_step'] = (t, 4 * (sum(int(z.size) for z in zs)
                                       + out_elems))
    # the backward kernels: gy read, one array per resized size written
    if plan.resized:
        t = dev.time_ms(lambda: launch.transposed_upsample_kernel(
            k, d['gy'], sizes), args.warmup, args.repeat)
        res_['backward_kernels'] = (t, 4 * (out_elems + sum(
            B * C * h * w for (h, w), _ in plan.resized)))
    # the whole fused stage forward: inputs read once, output written once
    res_['stage_forward'] = (res['forward_ms']['fused'], 4 * (sum(
        int(x.size) for x in d['xs']) + out_elems))
    out = collections.OrderedDict()
    for name, (t, nbytes) in res_.items():
        gbps = nbytes / t / 1e6
        out[name] = {'ms': t, 'bytes': nbytes, 'GBps': gbps,
                     'fraction_of_copy': gbps / copy if copy else None}
    return out


# ----------------------------------------------------------- torch.compile

def find_stage(probs, spec):
    pname, sname = spec.split(':')
    for p in probs:
        if p.name == pname:
            for s in p.stages:
                if s.name == sname:
                    return p, s
    raise ValueError('--compile-stages: no stage {!r} (problem:stage, e.g. '
                     'paper:D1)'.format(spec))


def compile_stage(chk, dev, torch_, p, stage, seed):
    args = chk.args
    torch = torch_.torch
    eps = 2e-5
    torch._dynamo.reset()
    host = make_data(stage, p.batch, p.decoder, seed)
    td = torch_.tensors(host)
    row = collections.OrderedDict([('problem', p.name),
                                   ('stage', stage.name)])
    eager_fwd, eager_fb = torch_.functions(torch_.stage, td, stage.size, eps)
    for variant in ('stage', 'stage_expand'):
        compiled = torch.compile(getattr(torch_, variant), dynamic=False)
        fwd, fwd_bwd = torch_.functions(compiled, td, stage.size, eps)
        t0 = time.time()
        try:
            y, grads = fwd_bwd()
            break
        except Exception as e:
            if variant == 'stage_expand':
                raise
            row['compile_error'] = '{}: {}'.format(type(e).__name__,
                                                   str(e)[-300:])
            log('torch.compile failed ({}); again with the 1x1 inputs '
                'expanded'.format(row['compile_error'][:80]))
            torch._dynamo.reset()
    row['variant'] = variant
    row['compile_forward_backward_s'] = time.time() - t0
    got = torch_.results(td, y, grads, dev.xp)
    y, grads = eager_fb()
    ref = torch_.results(td, y, grads, dev.xp)
    row['max_error_vs_eager'] = max(
        rel_err(dev.xp, got[k], ref[k]) for k in GRAD_KINDS)
    del got, ref, y, grads
    t0 = time.time()
    fwd()
    row['compile_forward_s'] = time.time() - t0
    row['forward_ms'] = torch_.time_ms(fwd, args.warmup, args.repeat)
    row['forward_backward_ms'] = torch_.time_ms(fwd_bwd, args.warmup,
                                                args.repeat)
    if row['max_error_vs_eager'] > STAGE_RTOL:
        chk.fail('{}/{}: torch.compile differs from eager by {:.3g}'.format(
            p.name, stage.name, row['max_error_vs_eager']))
    # ratios against the fused stage timed in the stage loop
    for r in chk.result['stages']:
        if r['problem'] == p.name and r['stage'] == stage.name \
                and 'speed' in r:
            s = r['speed']
            for mode in ('forward_ms', 'forward_backward_ms'):
                s[mode]['torch_compile'] = row[mode]
                s['ratios']['torch_compile/fused {}'.format(mode[:-3])] = (
                    row[mode] / s[mode]['fused'])
    del td, compiled
    torch_.free()
    return row


# ------------------------------------------------------------------- tools

def target_problem(kind, emulate):
    """The stages a tool's target process runs: small ones for the
    sanitizers, the largest stage for Nsight Compute."""
    if kind == 'small':
        div = 8 if emulate else 1
        image = (33, 41) if emulate else (65, 97)
        p = mobilenet_problem('small', PAPER_ARCH, image, 2, div, False)
        q = multi_launch_problem(True)
        return [(p, s) for s in p.stages if s.name == 'D1'] + \
            [(q, q.stages[0])]
    image = (33, 33) if emulate else (513, 513)
    batch = 4 if emulate else 16
    p = mobilenet_problem('ncu', arch_full(), image, batch,
                          8 if emulate else 1, False)
    return [(p, s) for s in p.stages if s.name == 'D1']


def run_target(args):
    """The process a sanitizer or Nsight Compute watches: the kernels
    (and, for the sanitizers, the whole fused stage) once, then one JSON
    line."""
    tmp = tempfile.mkdtemp(prefix='gpu_kernel_check_')
    if not args.emulate:
        import cupy
        # every array its own cudaMalloc: memcheck then sees an access
        # past an array's end, which the memory pool's slack would hide
        cupy.cuda.set_allocator(None)
    dev = Device(args.emulate, args.device, tmp)
    done = []
    for p, stage in target_problem(args.run_target, args.emulate):
        host = make_data(stage, p.batch, p.decoder, 0)
        d = {k: ([dev.to_device(a) for a in v] if isinstance(v, list)
                 else dev.to_device(v)) for k, v in host.items()}
        sizes = [(h, w) for _, _, h, w in stage.inputs]
        f32 = numpy.float32
        rng = numpy.random.default_rng(2)
        zs = [dev.to_device(rng.standard_normal((p.batch, p.decoder, h, w),
                                                dtype=f32))
              for h, w in sizes]
        scale = dev.to_device(rng.uniform(0.5, 1.5, (len(zs), p.decoder))
                              .astype(f32))
        shift = dev.to_device(numpy.zeros(p.decoder, f32))
        y = launch.accumulate_kernel(dev.kernels, zs, scale, shift,
                                     stage.size)
        downs = launch.transposed_upsample_kernel(dev.kernels, d['gy'],
                                                  sizes)
        if args.run_target == 'small':
            yy, st = launch.stage_forward(d['xs'], d['Ws'], d['gamma'],
                                          d['beta'], d['w'], stage.size,
                                          kernels=dev.kernels)
            launch.stage_backward(d['xs'], d['Ws'], d['gamma'], d['beta'],
                                  d['w'], d['gy'], st, kernels=dev.kernels)
        dev.synchronize()
        done.append({'problem': p.name, 'stage': stage.name,
                     'output': list(y.shape),
                     'downs': [list(a.shape) for a in downs],
                     'finite': bool(numpy.isfinite(dev.to_host(y)).all())})
    shutil.rmtree(tmp, ignore_errors=True)
    print('TARGET ' + json.dumps({'ran': done}), flush=True)
    return 0


def _target_cmd(args, kind):
    cmd = [sys.executable, os.path.abspath(__file__), '--run-target', kind,
           '--device', str(args.device), '--out', args.out]
    if args.emulate:
        cmd.append('--emulate')
    return cmd


def _run(cmd, timeout):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True,
                           timeout=timeout, cwd=ROOT)
        return p.returncode, p.stdout, time.time() - t0
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ''
        if isinstance(out, bytes):
            out = out.decode(errors='replace')
        return None, out + '\n[timed out after {:.0f} s]'.format(timeout), \
            time.time() - t0


def _target_ran(output):
    for line in output.splitlines():
        if line.startswith('TARGET '):
            return json.loads(line[len('TARGET '):])
    return None


def sanitizer(chk, tool, estimate):
    """compute-sanitizer ``tool`` on the small target."""
    args = chk.args
    name = tool
    cs = shutil.which('compute-sanitizer')
    if cs is None:
        # look where CUDA installs it
        for d in (os.environ.get('CUDA_PATH', ''), '/usr/local/cuda'):
            c = os.path.join(d, 'compute-sanitizer', 'compute-sanitizer')
            if d and os.path.exists(c):
                cs = c
    target = _target_cmd(args, 'small')
    if cs is None or (args.emulate and not args.emulate_tools):
        why = ('compute-sanitizer is not on PATH (nor in $CUDA_PATH or '
               '/usr/local/cuda)' if cs is None
               else '--emulate: there is no GPU to sanitize')
        # rehearse the target alone, so that its plumbing is tested
        rc, out, t = _run(target, max(30.0, estimate * 4))
        ran = _target_ran(out)
        chk.result['tools'][name] = {
            'status': 'skipped', 'reason': why,
            'target_without_tool': {'rc': rc, 'seconds': round(t, 1),
                                    'ran': ran,
                                    'output_tail': out[-TOOL_TAIL:]}}
        chk.part(name, 'skipped', why + '; the target ran alone: ' +
                 ('ok' if rc == 0 and ran else 'FAILED rc={}'.format(rc)))
        if rc != 0 or not ran:
            chk.fail('{}: the target process failed without the tool '
                     '(rc={})'.format(name, rc))
        return
    cmd = [cs, '--tool', tool, '--target-processes', 'all',
           '--print-limit', '20'] + target
    left = args.budget_s - chk.elapsed()
    rc, out, t = _run(cmd, max(20.0, min(left, 3 * estimate)))
    ran = _target_ran(out)
    res = {'command': ' '.join(cmd), 'rc': rc, 'seconds': round(t, 1),
           'ran': ran, 'output_tail': out[-TOOL_TAIL:]}
    # memcheck: "ERROR SUMMARY: 0 errors"; racecheck: "RACECHECK SUMMARY:
    # 0 hazards displayed (0 errors, 0 warnings)"
    m = re.findall(r'ERROR SUMMARY: (\d+) error', out)
    res['errors'] = int(m[-1]) if m else None
    m = re.findall(r'RACECHECK SUMMARY: (\d+) hazards? displayed'
                   r'(?: \((\d+) errors?, (\d+) warnings?\))?', out)
    if m:
        res['hazards'] = int(m[-1][0])
        if res['errors'] is None and m[-1][1]:
            res['errors'] = int(m[-1][1])
            res['warnings'] = int(m[-1][2])
    ok = rc == 0 and ran is not None and res['errors'] == 0 \
        and res.get('hazards', 0) == 0
    res['status'] = 'ok' if ok else 'failed'
    chk.result['tools'][name] = res
    chk.part(name, res['status'], None if ok else
             'rc={} errors={} hazards={}'.format(rc, res['errors'],
                                                 res.get('hazards')))
    if not ok:
        chk.fail('{}: rc={} errors={} hazards={} (see tools.{}.output_tail)'
                 .format(name, rc, res['errors'], res.get('hazards'), name))


NCU_METRICS = (
    'gpu__time_duration.sum',
    'launch__registers_per_thread',
    'launch__block_size',
    'launch__grid_size',
    'sm__maximum_warps_per_active_cycle_pct',
    'sm__warps_active.avg.pct_of_peak_sustained_active',
    'dram__bytes_read.sum',
    'dram__bytes_write.sum',
    'dram__bytes.sum.per_second',
    'dram__throughput.avg.pct_of_peak_sustained_elapsed',
    'gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed',
)


def parse_ncu_csv(text):
    """Nsight Compute's ``--csv`` rows (one per kernel and metric) into
    ``{kernel: {metric: value}}`` (the first launch of each kernel)."""
    import csv
    import io
    lines = [ln for ln in text.splitlines() if ln.startswith('"')]
    out = collections.OrderedDict()
    if not lines:
        return out
    seen = {}
    for r in csv.DictReader(io.StringIO('\n'.join(lines))):
        kernel = r.get('Kernel Name', '')
        m = re.match(r'(fdn_stage_\w+)', kernel)
        kernel = m.group(1) if m else kernel
        launch_id = r.get('ID')
        if seen.setdefault(kernel, launch_id) != launch_id:
            continue
        value = (r.get('Metric Value') or '').replace(',', '')
        try:
            value = float(value)
        except ValueError:
            pass
        out.setdefault(kernel, collections.OrderedDict())[
            r.get('Metric Name')] = value
    return out


def nsight(chk, estimate):
    args = chk.args
    ncu = shutil.which('ncu')
    if ncu is None:
        for d in (os.environ.get('CUDA_PATH', ''), '/usr/local/cuda'):
            c = os.path.join(d, 'bin', 'ncu')
            if d and os.path.exists(c):
                ncu = c
    target = _target_cmd(args, 'ncu')
    if ncu is None or (args.emulate and not args.emulate_tools):
        why = ('ncu (Nsight Compute) is not on PATH (nor in $CUDA_PATH/bin '
               'or /usr/local/cuda/bin)' if ncu is None
               else '--emulate: there is no GPU to profile')
        rc, out, t = _run(target, max(30.0, estimate * 4))
        ran = _target_ran(out)
        chk.result['tools']['ncu'] = {
            'status': 'skipped', 'reason': why,
            'target_without_tool': {'rc': rc, 'seconds': round(t, 1),
                                    'ran': ran,
                                    'output_tail': out[-TOOL_TAIL:]}}
        chk.part('ncu', 'skipped', why + '; the target ran alone: ' +
                 ('ok' if rc == 0 and ran else 'FAILED rc={}'.format(rc)))
        if rc != 0 or not ran:
            chk.fail('ncu: the target process failed without the tool '
                     '(rc={})'.format(rc))
        return
    base = [ncu, '--target-processes', 'all', '-k', 'regex:fdn_stage_',
            '-c', '3', '--csv', '--print-units', 'base']
    # the raw metrics; if this ncu rejects one of them, its standard
    # sections (same quantities, under their display names)
    attempts = [base + ['--metrics', ','.join(NCU_METRICS)] + target,
                base + ['--section', 'SpeedOfLight', '--section',
                        'Occupancy', '--section', 'LaunchStats'] + target]
    res = {}
    for cmd in attempts:
        left = args.budget_s - chk.elapsed()
        rc, out, t = _run(cmd, max(20.0, min(left, 3 * estimate)))
        kernels = parse_ncu_csv(out)
        if res:
            res['first_attempt'] = {k: res[k] for k in
                                    ('command', 'rc', 'output_tail')}
        res.update({'command': ' '.join(cmd), 'rc': rc,
                    'seconds': round(t, 1), 'kernels': kernels,
                    'ran': _target_ran(out),
                    'output_tail': out[-TOOL_TAIL:]})
        if rc == 0 and len(kernels) == 3:
            break
    copy = (chk.result['copy_bandwidth'] or {}).get('copy_GBps')
    for k, m in kernels.items():
        bw = m.get('dram__bytes.sum.per_second')
        if isinstance(bw, float) and copy:
            m['dram_fraction_of_copy'] = bw / 1e9 / copy
    ok = rc == 0 and len(kernels) == 3
    res['status'] = 'ok' if ok else 'failed'
    chk.result['tools']['ncu'] = res
    # a profiler that cannot read the counters (ERR_NVGPUCTRPERM) is the
    # machine's limit, not the kernels' failure: reported, not failed
    chk.part('ncu', res['status'], None if ok else
             'rc={}, {} kernels profiled (see tools.ncu.output_tail)'.format(
                 rc, len(kernels)))


def ptxas(chk, dev):
    """nvcc's register and spill report for the device's architecture."""
    nvcc = shutil.which('nvcc')
    if nvcc is None:
        chk.result['tools']['ptxas'] = {'status': 'skipped',
                                        'reason': 'nvcc is not on PATH'}
        chk.part('ptxas', 'skipped', 'nvcc is not on PATH')
        return
    arch = (dev.info().get('compute_capability') if not dev.emulate
            else None) or '90'
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [nvcc, '-arch=sm_{}'.format(arch), '-cubin', '-Xptxas', '-v',
               '-o', os.path.join(tmp, 'k.cubin')] + list(loader.OPTIONS) \
            + [loader.kernel_path('fdn_stage.cu')]
        rc, out, t = _run(cmd, 120)
    kernels = collections.OrderedDict()
    current = None
    for line in out.splitlines():
        m = re.search(r"Compiling entry function '(\w+)'", line)
        if m:
            current = m.group(1)
            kernels[current] = {}
        m = re.search(r'(\d+) bytes spill stores, (\d+) bytes spill loads',
                      line)
        if m and current:
            kernels[current]['spill_stores'] = int(m.group(1))
            kernels[current]['spill_loads'] = int(m.group(2))
        m = re.search(r'Used (\d+) registers', line)
        if m and current:
            kernels[current]['registers'] = int(m.group(1))
    ok = rc == 0 and len(kernels) == 3
    chk.result['tools']['ptxas'] = {
        'status': 'ok' if ok else 'failed', 'arch': 'sm_' + arch,
        'kernels': kernels, 'output_tail': out[-TOOL_TAIL:]}
    chk.part('ptxas', 'ok' if ok else 'failed',
             None if ok else 'nvcc rc={}'.format(rc))
    if not ok:
        chk.fail('ptxas: nvcc failed (rc={})'.format(rc))


# ------------------------------------------------------------------- table

def _f(v, fmt):
    return format(v, fmt) if isinstance(v, (int, float)) else '-'


def format_table(r):
    """The short text summary of the results."""
    env = r.get('environment', {})
    lines = ['gpu_kernel_check ({}): {} | {}'.format(
        r.get('mode'), env.get('device', '?'),
        'OK' if r.get('ok') else 'FAILED ({} failures)'.format(
            len(r.get('failures', []))))]
    lines.append('python {} numpy {} cupy {} torch {} | {:.0f} s of budget '
                 '{} s'.format(env.get('python', '?'), env.get('numpy', '?'),
                               env.get('cupy', '-'),
                               (env.get('torch') or {}).get('torch', '-'),
                               r.get('elapsed_s', 0), r.get('budget_s')))
    t = env.get('torch') or {}
    if t.get('skipped'):
        lines.append('PyTorch skipped: ' + t['skipped'])
    cb = r.get('copy_bandwidth') or {}
    if cb:
        lines.append('device copy bandwidth: {:.1f} GB/s (read + write)'
                     .format(cb.get('copy_GBps', 0)))
    lines.append('')
    lines.append('max relative error vs the float64 NumPy twin (kernels) '
                 'and the float64 NumPy stage (fused, unfused, torch: output '
                 'and all gradients)')
    head = ('{:<13} {:<5} {:>3} {:>19} {:>9} {:>9} {:>9} {:>9} {:>9}'.format(
        'problem', 'stage', 'in', 'output', 'k.fwd', 'k.bwd', 'fused',
        'unfused', 'torch'))
    lines.append(head)
    for s in r.get('stages', []):
        e = s.get('max_error', {})
        lines.append('{:<13} {:<5} {:>3} {:>19} {:>9} {:>9} {:>9} {:>9} '
                     '{:>9}'.format(
                         s['problem'], s['stage'], len(s['inputs']),
                         'x'.join(str(v) for v in s['output']),
                         _f(e.get('kernel_forward'), '.1e'),
                         _f(e.get('kernel_backward'), '.1e'),
                         _f(e.get('fused'), '.1e'),
                         _f(e.get('unfused'), '.1e'),
                         _f(e.get('torch_eager'), '.1e')))
    timed = [s for s in r.get('stages', []) if 'speed' in s]
    if timed:
        lines.append('')
        lines.append('speed (median ms; ratios: other / fused, > 1 means '
                     'the fused stage is faster) and fused bandwidth '
                     '(fraction of copy)')
        lines.append('{:<6} {:<5} {:>8} {:>6} {:>6} {:>6} {:>8} {:>6} {:>6} '
                     '{:>6} {:>6} {:>6} {:>6}'.format(
                         'prob', 'stage', 'fwd ms', 'unf', 'eager', 'comp',
                         'f+b ms', 'unf', 'eager', 'comp', 'kern', 'acc',
                         'bwd'))
        for s in timed:
            sp = s['speed']
            q = sp['ratios']
            bw = sp.get('bandwidth', {})

            def frac(k):
                return _f((bw.get(k) or {}).get('fraction_of_copy'), '.2f')
            lines.append(
                '{:<6} {:<5} {:>8} {:>6} {:>6} {:>6} {:>8} {:>6} {:>6} {:>6} '
                '{:>6} {:>6} {:>6}'.format(
                    s['problem'][:6], s['stage'],
                    _f(sp['forward_ms']['fused'], '.3f'),
                    _f(q.get('unfused/fused forward'), '.2f'),
                    _f(q.get('torch_eager/fused forward'), '.2f'),
                    _f(q.get('torch_compile/fused forward'), '.2f'),
                    _f(sp['forward_backward_ms']['fused'], '.3f'),
                    _f(q.get('unfused/fused forward_backward'), '.2f'),
                    _f(q.get('torch_eager/fused forward_backward'), '.2f'),
                    _f(q.get('torch_compile/fused forward_backward'), '.2f'),
                    frac('forward_kernel'), frac('accumulate_step'),
                    frac('backward_kernels')))
    tools = r.get('tools', {})
    if tools:
        lines.append('')
        for name, t in tools.items():
            extra = ''
            if name in ('memcheck', 'racecheck') and t.get('status') == 'ok':
                extra = ' errors={} hazards={}'.format(t.get('errors'),
                                                       t.get('hazards', '-'))
            if name in ('ncu', 'ptxas') and t.get('kernels'):
                parts = []
                for k, m in t['kernels'].items():
                    regs = m.get('launch__registers_per_thread',
                                 m.get('registers'))
                    occ = m.get(
                        'sm__warps_active.avg.pct_of_peak_sustained_active')
                    bw = m.get('dram__bytes.sum.per_second')
                    parts.append('{} regs={}{}{}'.format(
                        k.replace('fdn_stage_', ''), _f(regs, '.0f'),
                        ' occ={}%'.format(_f(occ, '.0f')) if occ else '',
                        ' dram={} GB/s'.format(_f(bw / 1e9, '.0f'))
                        if isinstance(bw, float) else ''))
                extra = ' ' + '; '.join(parts)
            lines.append('{:<10} {}{}{}'.format(
                name, t.get('status'),
                ' ({})'.format(t['reason']) if t.get('reason') else '',
                extra))
    for c in r.get('torch_compile', []):
        lines.append('torch.compile {}:{} ({}): compile {:.0f}+{:.0f} s, '
                     'fwd {} ms, f+b {} ms, vs eager {:.1e}'.format(
                         c['problem'], c['stage'], c.get('variant'),
                         c.get('compile_forward_backward_s', 0),
                         c.get('compile_forward_s', 0),
                         _f(c.get('forward_ms'), '.3f'),
                         _f(c.get('forward_backward_ms'), '.3f'),
                         c.get('max_error_vs_eager', float('nan'))))
    skipped = [(k, v.get('reason')) for k, v in r.get('parts', {}).items()
               if v.get('status') == 'skipped' and k not in tools]
    if skipped:
        lines.append('')
        for k, why in skipped:
            lines.append('skipped {}: {}'.format(k, why))
    if r.get('failures'):
        lines.append('')
        lines.extend('FAILED ' + f for f in r['failures'])
    return '\n'.join(lines) + '\n'


# -------------------------------------------------------------------- main

def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True,
                        help='folder for {} and {}'.format(JSON_NAME,
                                                           TEXT_NAME))
    parser.add_argument('--emulate', action='store_true',
                        help='run on the CPU: the CUDA kernels compiled by '
                        'g++ (kernels/emulator.py) stand in for CuPy, sizes '
                        'scaled down')
    parser.add_argument('--budget-s', type=float, default=450.0,
                        help='seconds the whole run may take (default 450); '
                        'the slowest optional parts are dropped first')
    parser.add_argument('--device', type=int, default=0)
    parser.add_argument('--batch', type=int, default=None,
                        help='default 16 (emulated: 4)')
    parser.add_argument('--size', type=int, nargs=2, default=None,
                        metavar=('H', 'W'),
                        help='input image size (default 513 513; emulated: '
                        '33 33)')
    parser.add_argument('--odd-size', type=int, nargs=2, default=None,
                        metavar=('H', 'W'),
                        help='the odd size (default 321 481; emulated: 41 '
                        '57)')
    parser.add_argument('--odd-batch', type=int, default=None,
                        help='default 5 (emulated: 3)')
    parser.add_argument('--warmup', type=int, default=None,
                        help='untimed runs (default 3; emulated: 1)')
    parser.add_argument('--repeat', type=int, default=None,
                        help='timed runs, median (default 20; emulated: 2)')
    parser.add_argument('--compile-stages', default=None,
                        help='problem:stage list for torch.compile, comma '
                        'separated, or none (default paper:D1,full:D1; '
                        'emulated: none)')
    parser.add_argument('--skip', action='append', default=[],
                        help='a part to skip: memcheck, racecheck, ncu, '
                        'torch, torch_compile, speed, ptxas (repeatable)')
    parser.add_argument('--run-target', choices=('small', 'ncu'),
                        help=argparse.SUPPRESS)
    # tests: under --emulate, run compute-sanitizer and ncu when found (the
    # tests put stand-ins on PATH that run the target and print the tools'
    # summaries)
    parser.add_argument('--emulate-tools', action='store_true',
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    e = args.emulate
    args.batch = args.batch or (4 if e else 16)
    args.size = args.size or ([33, 33] if e else [513, 513])
    args.odd_size = args.odd_size or ([41, 57] if e else [321, 481])
    args.odd_batch = args.odd_batch or (3 if e else 5)
    args.warmup = args.warmup if args.warmup is not None else (1 if e else 3)
    args.repeat = args.repeat or (2 if e else 20)
    if args.compile_stages is None:
        args.compile_stages = 'none' if e else 'paper:D1,full:D1'
    args.compile_stages = ([] if args.compile_stages in ('', 'none')
                           else args.compile_stages.split(','))
    if 'torch' in args.skip or 'torch_compile' in args.skip:
        args.compile_stages = []
    return args


def environment(dev, torch_, torch_why):
    env = collections.OrderedDict()
    env['python'] = platform.python_version()
    env['platform'] = platform.platform()
    env.update(dev.info())
    env['torch'] = torch_.info() if torch_ else {'skipped': torch_why}
    env['tools'] = {t: shutil.which(t) for t in
                    ('nvcc', 'ncu', 'compute-sanitizer', 'g++')}
    env['chainer_importable'] = importlib.util.find_spec('chainer') \
        is not None
    env['kernels_package'] = os.path.dirname(launch.__file__)
    return env


def main(argv=None):
    args = parse_args(argv)
    if args.run_target:
        return run_target(args)
    chk = Checker(args)
    tmp = tempfile.mkdtemp(prefix='gpu_kernel_check_')
    try:
        return _main(chk, args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _main(chk, args, tmp):
    log('gpu_kernel_check: {} mode, budget {} s, out {}'.format(
        'emulate' if args.emulate else 'gpu', args.budget_s, args.out))
    t = time.time()
    try:
        dev = Device(args.emulate, args.device, tmp)
    except Exception as e:  # no CuPy, no GPU, NVRTC failure: say so
        chk.part('setup', 'failed', '{}: {}'.format(type(e).__name__, e))
        chk.fail('setup: {}: {}'.format(type(e).__name__, e))
        chk.result['traceback'] = traceback.format_exc()[-TOOL_TAIL:]
        chk.write()
        return 1
    torch_, torch_why = (None, 'skipped with --skip torch') \
        if 'torch' in args.skip else load_torch(args.emulate)
    if torch_ is None:
        args.compile_stages = []
        log('PyTorch part skipped: ' + torch_why)
    chk.result['environment'] = environment(dev, torch_, torch_why)
    chk.part('setup', 'ok', seconds=round(time.time() - t, 1))
    probs = problems(args)
    for p in probs:
        chk.result['problems'][p.name] = p.describe()
    for spec in args.compile_stages:
        find_stage(probs, spec)
    est, dropped, total = plan_parts(args, probs, torch_ is not None)
    chk.dropped = dropped
    chk.result['plan'] = {'estimates_s': est, 'estimated_total_s': total,
                          'dropped': dropped}
    for k, why in dropped.items():
        chk.part(k, 'skipped', why)
    chk.write()

    if 'ptxas' not in args.skip:
        ptxas(chk, dev)
    t = time.time()
    chk.result['copy_bandwidth'] = dev.copy_bandwidth(args.warmup,
                                                      args.repeat)
    chk.part('copy_bandwidth', 'ok', seconds=round(time.time() - t, 1))
    chk.write()

    # the correctness still to run, estimated: the speed of a stage runs
    # only if it leaves time for that
    have_torch = torch_ is not None
    corr_left = sum(stage_estimates(args, p, s, have_torch)[0]
                    for p in probs if 'correctness:' + p.name not in dropped
                    for s in p.stages)
    seed = 0
    for p in probs:
        key = 'correctness:' + p.name
        if key in dropped:
            continue
        t = time.time()
        for stage in p.stages:
            seed += 1
            corr, spd = stage_estimates(args, p, stage, have_torch)
            corr_left -= corr
            skey = 'speed:' + p.name
            if p.timed and skey not in dropped and not chk.fits(
                    '{}:{}'.format(skey, stage.name), corr + spd + corr_left):
                dropped[skey] = ('budget: no time left for it from stage {} '
                                 'on'.format(stage.name))
            log('{} {} ({} inputs, output {}x{})'.format(
                p.name, stage.name, len(stage.inputs), *stage.size))
            try:
                row = check_stage(chk, dev, torch_, p, stage, seed)
            except Exception as e:
                chk.fail('{}/{}: {}: {}'.format(p.name, stage.name,
                                                type(e).__name__, e))
                chk.result.setdefault('tracebacks', []).append(
                    traceback.format_exc()[-TOOL_TAIL:])
                dev.free()
                chk.write()
                continue
            chk.result['stages'].append(row)
            m = row['max_error']
            log('  errors: ' + ', '.join('{} {:.1e}'.format(k, v)
                                         for k, v in m.items())
                + ('  fwd {:.3f} ms, f+b {:.3f} ms (fused)'.format(
                    row['speed']['forward_ms']['fused'],
                    row['speed']['forward_backward_ms']['fused'])
                   if 'speed' in row else ''))
            chk.write()
        chk.part(key, 'ok', seconds=round(time.time() - t, 1))
        if p.timed and 'speed:' + p.name not in dropped:
            chk.part('speed:' + p.name, 'ok')

    for tool in ('memcheck', 'racecheck'):
        if tool in dropped or not chk.fits(tool, est[tool]):
            continue
        sanitizer(chk, tool, est[tool])
        chk.write()
    if 'ncu' not in dropped and chk.fits('ncu', est['ncu']):
        nsight(chk, est['ncu'])
        chk.write()
    for spec in args.compile_stages:
        key = 'torch_compile:' + spec
        if key in dropped or not chk.fits(key, est[key]):
            continue
        p, stage = find_stage(probs, spec)
        log('torch.compile ' + spec)
        t = time.time()
        try:
            row = compile_stage(chk, dev, torch_, p, stage, 100)
            chk.result['torch_compile'].append(row)
            chk.part(key, 'ok', seconds=round(time.time() - t, 1))
        except Exception as e:
            # torch.compile's own failures (no C++ compiler, no triton) are
            # reported, not counted as the kernels' failure
            chk.part(key, 'failed',
                     '{}: {}'.format(type(e).__name__, str(e)[:500]))
            chk.result.setdefault('tracebacks', []).append(
                traceback.format_exc()[-TOOL_TAIL:])
        chk.write()

    chk.result['environment']['chainer_imported'] = 'chainer' in sys.modules
    chk.write()
    with open(os.path.join(args.out, TEXT_NAME)) as f:
        print(f.read(), end='', flush=True)
    log('wrote {} and {} in {}'.format(JSON_NAME, TEXT_NAME, args.out))
    return 0 if not chk.result['failures'] else 1


if __name__ == '__main__':
    sys.exit(main())
