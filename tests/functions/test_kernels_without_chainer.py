"""The kernel package imports and runs where Chainer cannot import.

A GPU machine's own Python has NumPy 2 and CuPy 14, beside which Chainer
7.8.1 cannot import; the kernels, their launch code, the stage plan, the
NumPy twin and the CPU emulator (``kernels/``) must work there. Here a
subprocess finds a ``chainer`` package that raises ImportError first on its
path, imports the kernel package, and runs the NumPy twin and the emulated
kernels on a small stage (forward and backward, the whole stage too).
"""

import importlib
import json
import os
import shutil
import subprocess
import sys

import numpy
import pytest

from sparsemask.cuda import kernel_package
from sparsemask.functions import fdn_stage_plan as plan_module

# (sparsemask.functions.fdn_stage is the function; this is its module)
fdn_stage_module = importlib.import_module('sparsemask.functions.fdn_stage')

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def blocked_chainer_env(tmp_path):
    """An environment whose ``import chainer`` raises ImportError.

    Returns:
        dict: ``os.environ`` with PYTHONPATH led by a folder holding a
        ``chainer`` package that raises, then the repository root.

    """
    block = tmp_path / 'block'
    (block / 'chainer').mkdir(parents=True)
    (block / 'chainer' / '__init__.py').write_text(
        "raise ImportError('chainer is blocked for this test (a GPU "
        "machine with NumPy 2 cannot import it)')\n")
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([str(block), ROOT])
    return env


PROGRAM = r'''
import json, sys
try:
    import chainer  # NOQA
    raise SystemExit('chainer imported although it is blocked')
except ImportError:
    pass
try:
    import sparsemask  # NOQA: imports chainer
    raise SystemExit('sparsemask imported without chainer')
except ImportError:
    pass
import numpy
import kernels.fdn_stage_launch as L
import kernels.fdn_stage_plan as P
import kernels.loader as K
import kernels.emulator as E

rng = numpy.random.default_rng(0)
sizes = [(9, 11), (5, 6), (1, 1), (9, 11), (3, 3), (17, 21)]
size = (9, 11)
N, C = 2, 4
out = {}
# the NumPy twin against dense interpolation matrices, float64
zs = [rng.standard_normal((N, C) + s) for s in sizes]
scale = rng.uniform(0.5, 1.5, (len(sizes), C))
shift = rng.uniform(-1, 1, C)
y = L.accumulate_numpy(zs, scale, shift, size)
dense = shift[None, :, None, None] + sum(
    scale[t][None, :, None, None] * numpy.einsum(
        'Hh,nchw,Ww->ncHW', P.interpolation_matrix(size[0], s[0], 'f8'), z,
        P.interpolation_matrix(size[1], s[1], 'f8'))
    for t, (s, z) in enumerate(zip(sizes, zs)))
out['twin_forward'] = float(abs(y - dense).max())
# the emulated CUDA kernels against the twin
kernels = E.emulated_kernels(max_grid=3, block=32,
                             defines={'FDN_MAX_GROUPS': 2})
f32 = numpy.float32
yk = L.accumulate_kernel(kernels, [z.astype(f32) for z in zs],
                         scale.astype(f32), shift.astype(f32), size)
out['kernel_forward'] = float(abs(yk - y).max() / abs(y).max())
out['forward_launches'] = len(kernels.forward.launches)
gy = rng.standard_normal((N, C) + size)
ref = L.transposed_upsample_numpy(gy, sizes)
got = L.transposed_upsample_kernel(kernels, gy.astype(f32), sizes)
out['kernel_backward'] = max(float(abs(g - r).max() / abs(r).max())
                             for g, r in zip(got, ref))
out['shapes'] = [list(g.shape) for g in got]
# the whole stage, fused (emulated kernels, float32) against the twin
# (float64)
xs = [rng.standard_normal((N, 3) + s) for s in sizes]
Ws = [rng.standard_normal((C, 3)) for _ in sizes]
gamma = rng.uniform(0.5, 1.5, (len(sizes), C))
beta = rng.uniform(-1, 1, (len(sizes), C))
w = rng.uniform(0.2, 1, len(sizes))
args = [xs, Ws, gamma, beta, w]
y64, st = L.stage_forward(*args, size)
g64 = L.stage_backward(*args, gy, st)
c32 = [[a.astype(f32) for a in v] if isinstance(v, list) else v.astype(f32)
       for v in args]
y32, st = L.stage_forward(*c32, size, kernels=kernels)
g32 = L.stage_backward(*c32, gy.astype(f32), st, kernels=kernels)
out['stage_forward'] = float(abs(y32 - y64).max() / abs(y64).max())
err = 0.0
for a, b in zip(g32, g64):
    a, b = (a, b) if isinstance(a, list) else ([a], [b])
    err = max(err, max(float(abs(u - v).max()) for u, v in zip(a, b))
              / max(float(abs(v).max()) for v in b))
out['stage_backward'] = err
out['kernel_source'] = '__global__' in K.kernel_source('fdn_stage.cu')
out['numpy'] = numpy.__version__
out['chainer_in_modules'] = sys.modules.get('chainer') is not None
print(json.dumps(out))
'''


def test_kernel_package_runs_with_chainer_unimportable(tmp_path):
    if shutil.which('g++') is None:
        pytest.skip('g++ is not installed: cannot emulate the kernels')
    proc = subprocess.run([sys.executable, '-c', PROGRAM],
                          capture_output=True, text=True, cwd=str(tmp_path),
                          env=blocked_chainer_env(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not got['chainer_in_modules']
    assert got['kernel_source']
    assert got['twin_forward'] < 1e-12
    assert got['kernel_forward'] < 1e-5
    assert got['kernel_backward'] < 1e-5
    # 4 resized sizes, FDN_MAX_GROUPS=2: two forward launches
    assert got['forward_launches'] == 2
    assert got['shapes'] == [[2, 4, h, w] for h, w in
                             [(9, 11), (5, 6), (1, 1), (9, 11), (3, 3),
                              (17, 21)]]
    assert got['stage_forward'] < 1e-5
    assert got['stage_backward'] < 1e-4


def test_sparsemask_uses_the_kernel_package():
    # one copy of the launch code, the plan (and its cache) and the loader:
    # the Chainer FunctionNode runs the very functions the GPU checks run
    launch = kernel_package.fdn_stage_launch
    assert kernel_package.PACKAGE in ('kernels', 'sparsemask.kernels')
    for name in ('accumulate_kernel', 'accumulate_numpy', 'launch_forward',
                 'transposed_upsample_kernel', 'transposed_upsample_numpy',
                 'stage_forward', 'stage_backward', 'MAX_GROUPS'):
        assert getattr(fdn_stage_module, name) is getattr(launch, name)
    assert plan_module.stage_plan is kernel_package.fdn_stage_plan.stage_plan
    from sparsemask import cuda
    assert cuda.fdn_stage_kernels is kernel_package.loader.fdn_stage_kernels
    assert cuda.kernel_path('fdn_stage.cu') == os.path.join(
        os.path.dirname(kernel_package.loader.__file__), 'fdn_stage.cu')


def test_function_node_runs_stage_forward_and_backward(monkeypatch):
    # the FunctionNode's forward and backward are stage_forward and
    # stage_backward: replacing them in the module changes what it runs
    import chainer
    calls = []
    launch = kernel_package.fdn_stage_launch

    def forward(*a, **k):
        calls.append('forward')
        return launch.stage_forward(*a, **k)

    def backward(*a, **k):
        calls.append('backward')
        return launch.stage_backward(*a, **k)
    monkeypatch.setattr(fdn_stage_module, 'stage_forward', forward)
    monkeypatch.setattr(fdn_stage_module, 'stage_backward', backward)
    rng = numpy.random.RandomState(0)
    xs = [chainer.Variable(rng.randn(2, 3, 4, 5).astype(numpy.float32))]
    Ws = [chainer.Variable(rng.randn(6, 3).astype(numpy.float32))]
    y = fdn_stage_module.fdn_stage(xs, Ws, (7, 9))
    y.grad = numpy.ones_like(y.array)
    y.backward()
    assert calls == ['forward', 'backward']
    assert xs[0].grad.shape == (2, 3, 4, 5)
