"""The CUDA kernels of the fused FDN stage, verified without a GPU.

The very ``kernels/fdn_stage.cu`` that CuPy compiles is compiled here by
g++ (``cuda_emulator``) and launched through the same Python launch code
(:func:`accumulate_kernel`, :func:`transposed_upsample_kernel`) as on the
GPU, then compared with the NumPy path. The nvcc checks compile it for real
GPU architectures when nvcc is on PATH.
"""

import re
import shutil
import subprocess

import numpy
import pytest

import chainer

from sparsemask.cuda import kernel_path
from sparsemask.functions import fdn_stage
from tests.functions import cuda_emulator
from tests.functions.fdn_stage_cases import assert_close
from tests.functions.fdn_stage_cases import CASES
from tests.functions.fdn_stage_cases import degenerate_keys
from tests.functions.fdn_stage_cases import FIXED
from tests.functions.fdn_stage_cases import random_case


@pytest.fixture(scope='module')
def emulated(tmp_path_factory):
    if shutil.which('g++') is None:
        pytest.skip('g++ is not installed: cannot run the CUDA kernels on '
                    'the CPU')
    lib = cuda_emulator.compile_cu(kernel_path('fdn_stage.cu'),
                                   str(tmp_path_factory.mktemp('cu')))
    return lib


def _inputs(batch, shapes, size, C, seed, dtype=numpy.float32):
    rng = numpy.random.RandomState(seed)
    T = len(shapes)
    return dict(
        xs=[rng.randn(batch, c, h, w).astype(dtype) for c, h, w in shapes],
        Ws=[rng.randn(C, c).astype(dtype) for c, _, _ in shapes],
        gamma=rng.uniform(0.5, 1.5, (T, C)).astype(dtype),
        beta=rng.uniform(-1, 1, (T, C)).astype(dtype),
        w=rng.uniform(0, 1, T).astype(dtype),
        mean=rng.uniform(-1, 1, (T, C)).astype(dtype),
        var=rng.uniform(0.5, 2, (T, C)).astype(dtype),
        gy=rng.randn(batch, C, *size).astype(dtype))


def _run(d, size, normalize, train, kernels):
    xs = [chainer.Variable(x.copy()) for x in d['xs']]
    Ws = [chainer.Variable(W.copy()) for W in d['Ws']]
    gamma, beta, w = (chainer.Variable(d[k].copy())
                      for k in ('gamma', 'beta', 'w'))
    mean, var = d['mean'].copy(), d['var'].copy()
    with chainer.using_config('train', train):
        y = fdn_stage(xs, Ws, size, gamma, beta, w, normalize=normalize,
                      running_mean=mean, running_var=var, kernels=kernels)
    y.grad = d['gy']
    y.backward()
    out = {'y': y.array, 'gx': [v.grad for v in xs],
           '/W': [v.grad for v in Ws], '/w': w.grad,
           'avg': [(mean, var)] if normalize else []}
    if normalize:
        out['/gamma'], out['/beta'] = gamma.grad, beta.grad
    return out


def _cases():
    out = list(FIXED)
    for seed in CASES:
        batch, shapes, size, _ = random_case(seed)
        out.append((batch, shapes, size))
    return out


@pytest.mark.parametrize('case', range(len(_cases())))
@pytest.mark.parametrize('normalize', [True, False])
@pytest.mark.parametrize('train', [True, False])
def test_cuda_kernels_on_cpu_match_numpy_path(emulated, case, normalize,
                                              train):
    batch, shapes, size = _cases()[case]
    d = _inputs(batch, shapes, size, 5, seed=case)
    kernels = cuda_emulator.EmulatedModule(emulated, max_grid=7, block=32)
    ref = _run(d, size, normalize, train, None)
    got = _run(d, size, normalize, train, kernels)
    # degenerate_keys names conv gradients '/conv<t>/W'; here they are '/W<t>'
    loose = {re.sub(r'^/conv(\d+)/W$', r'/W\1', k)
             for k in degenerate_keys(batch, shapes, normalize, train)}
    assert_close(ref, got, loose=loose)
    # one forward launch, at most one backward launch, grid capped
    assert len(kernels.forward.launches) == 1
    assert len(kernels.backward.launches) == (
        1 if any(h * w > 1 for _, h, w in shapes) else 0)
    for grid, block in kernels.forward.launches + kernels.backward.launches:
        assert block == (32,) and 1 <= grid[0] <= 7


def test_launch_rejects_python_ints(emulated):
    kernel = cuda_emulator.EmulatedKernel(emulated, 'fdn_stage_forward')
    with pytest.raises(TypeError, match='NumPy scalar'):
        kernel((1,), (1,), (numpy.zeros(1, numpy.float32), 3))


def _nvcc_archs():
    if shutil.which('nvcc') is None:
        return None
    out = subprocess.run(['nvcc', '--list-gpu-arch'], capture_output=True,
                         text=True).stdout
    return set(re.findall(r'compute_(\d+)', out))


@pytest.mark.parametrize('arch', ['70', '75', '80', '90'])
def test_nvcc_compiles_without_spills(arch, tmp_path):
    archs = _nvcc_archs()
    if archs is None:
        pytest.skip('nvcc is not on PATH: compile check skipped')
    if arch not in archs:
        pytest.skip('this nvcc ({}) cannot target sm_{} (it supports sm_{})'
                    .format(shutil.which('nvcc'), arch,
                            ', sm_'.join(sorted(archs, key=int))))
    proc = subprocess.run(
        ['nvcc', '-arch=sm_{}'.format(arch), '-cubin', '-Xptxas', '-v',
         '-std=c++14', '-o', str(tmp_path / 'k.cubin'),
         kernel_path('fdn_stage.cu')], capture_output=True, text=True)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    for kernel in ('fdn_stage_forward', 'fdn_stage_backward'):
        assert kernel in report
    spills = re.findall(r'(\d+) bytes spill stores, (\d+) bytes spill loads',
                        report)
    assert spills and all(s == ('0', '0') for s in spills), report


@pytest.mark.parametrize('dtype', [numpy.float16, numpy.float64])
@pytest.mark.parametrize('normalize', [True, False])
def test_kernel_path_refuses_other_dtypes_than_float32(emulated, dtype,
                                                       normalize):
    # On 4d1f859 float16 was read out of bounds and float64 as garbage.
    batch, shapes, size = _cases()[0]
    d = _inputs(batch, shapes, size, 5, seed=0, dtype=dtype)
    kernels = cuda_emulator.EmulatedModule(emulated, max_grid=7, block=32)
    with pytest.raises(TypeError) as e:
        _run(d, size, normalize, True, kernels)
    message = str(e.value)
    assert numpy.dtype(dtype).name in message and 'float32' in message
    assert 'model.fused=false' in message
    assert kernels.forward.launches == []
    # the NumPy path still takes them (float64 is what gradient checks use)
    ref = _run(d, size, normalize, True, None)
    assert ref['y'].dtype == dtype


@pytest.mark.parametrize('dtype', [numpy.float16, numpy.float64])
def test_backward_kernel_refuses_other_dtypes_than_float32(emulated, dtype):
    from sparsemask.functions.fdn_stage import accumulate_kernel
    from sparsemask.functions.fdn_stage import transposed_upsample_kernel
    kernels = cuda_emulator.EmulatedModule(emulated, max_grid=7, block=32)
    gy = numpy.ones((2, 3, 9, 9), dtype=dtype)
    with pytest.raises(TypeError, match='gy is ' + numpy.dtype(dtype).name):
        transposed_upsample_kernel(kernels.backward, gy, [(5, 5), (9, 9)])
    assert kernels.backward.launches == []
    zs = [numpy.ones((2, 3, 5, 5), numpy.float32)]
    scale = numpy.ones((1, 3), dtype=dtype)
    shift = numpy.zeros(3, numpy.float32)
    with pytest.raises(TypeError, match='scale is ' + numpy.dtype(dtype).name):
        accumulate_kernel(kernels.forward, zs, scale, shift, (9, 9))
