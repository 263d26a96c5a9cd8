"""The CUDA kernels of the fused FDN stage, verified without a GPU.

The very ``kernels/fdn_stage.cu`` that CuPy compiles is compiled here by
g++ (``cuda_emulator``) and launched through the same Python launch code
(:func:`accumulate_kernel`, :func:`transposed_upsample_kernel`) as on the
GPU, then compared with the NumPy path. The nvcc checks compile it for real
GPU architectures when nvcc is on PATH.
"""

import itertools
import re
import shutil
import subprocess

import numpy
import pytest

import chainer

from sparsemask.cuda import kernel_path
from sparsemask.functions import fdn_stage
from sparsemask.functions.fdn_stage import MAX_GROUPS
from sparsemask.functions.fdn_stage import transposed_upsample_kernel
from sparsemask.functions.fdn_stage import transposed_upsample_numpy
from tests.functions import cuda_emulator
from tests.functions.fdn_stage_cases import assert_close
from tests.functions.fdn_stage_cases import CASES
from tests.functions.fdn_stage_cases import degenerate_keys
from tests.functions.fdn_stage_cases import FIXED
from tests.functions.fdn_stage_cases import random_case


def _cases():
    out = list(FIXED)
    for seed in CASES:
        batch, shapes, size, _ = random_case(seed)
        out.append((batch, shapes, size))
    return out


@pytest.fixture(scope='module')
def emulated(tmp_path_factory):
    if shutil.which('g++') is None:
        pytest.skip('g++ is not installed: cannot run the CUDA kernels on '
                    'the CPU')
    lib = cuda_emulator.compile_cu(kernel_path('fdn_stage.cu'),
                                   str(tmp_path_factory.mktemp('cu')))
    return lib


@pytest.fixture(scope='module')
def emulated_2_groups(emulated, tmp_path_factory):
    # the same kernels compiled with FDN_MAX_GROUPS=2: stages with more
    # sizes take several forward launches that add to the output
    return cuda_emulator.compile_cu(kernel_path('fdn_stage.cu'),
                                    str(tmp_path_factory.mktemp('cu2')),
                                    defines={'FDN_MAX_GROUPS': 2})


def test_max_groups_of_the_launch_code_is_the_kernels():
    with open(kernel_path('fdn_stage.cu')) as f:
        source = f.read()
    m = re.search(r'#define FDN_MAX_GROUPS (\d+)', source)
    assert m and int(m.group(1)) == MAX_GROUPS


def _downs(kernels, gy, sizes):
    return transposed_upsample_kernel(kernels, gy, sizes)


@pytest.mark.parametrize('case', range(len(_cases())))
def test_backward_kernels_are_deterministic_and_reuse_gy(emulated, case):
    # Every element of the transposed interpolation is written by one
    # thread (no atomics): the result is bitwise the same for any launch
    # configuration, which changes which thread does what and in which
    # order the grid-stride loops run.
    batch, shapes, size = _cases()[case]
    sizes = [(h, w) for _, h, w in shapes]
    gy = numpy.random.RandomState(case).randn(batch, 5, *size).astype(
        numpy.float32)
    ref = transposed_upsample_numpy(gy, sizes)
    runs = [_downs(cuda_emulator.EmulatedModule(emulated, max_grid=g,
                                                block=b), gy, sizes)
            for g, b in ((7, 32), (2, 8), (1, 64))]
    for t, (h, w) in enumerate(sizes):
        for got in runs:
            assert got[t].shape == (batch, 5, h, w)
            assert numpy.array_equal(got[t], runs[0][t]), t
        scale = max(1.0, float(numpy.abs(ref[t]).max()))
        numpy.testing.assert_allclose(runs[0][t], ref[t], rtol=0,
                                      atol=1e-5 * scale)
        if (h, w) == size:  # output-sized inputs get gy itself, no copy
            assert runs[0][t] is gy and ref[t] is gy
    # inputs of one size share one array
    for t, u in itertools.combinations(range(len(sizes)), 2):
        if sizes[t] == sizes[u]:
            assert runs[0][t] is runs[0][u]


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


@pytest.mark.parametrize('case', range(len(_cases())))
@pytest.mark.parametrize('normalize', [True, False])
@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('max_groups', [4, 2])
def test_cuda_kernels_on_cpu_match_numpy_path(emulated, emulated_2_groups,
                                              case, normalize, train,
                                              max_groups):
    batch, shapes, size = _cases()[case]
    d = _inputs(batch, shapes, size, 5, seed=case)
    lib = emulated if max_groups == 4 else emulated_2_groups
    kernels = cuda_emulator.EmulatedModule(lib, max_grid=7, block=32,
                                           max_groups=max_groups)
    ref = _run(d, size, normalize, train, None)
    got = _run(d, size, normalize, train, kernels)
    # degenerate_keys names conv gradients '/conv<t>/W'; here they are '/W<t>'
    loose = {re.sub(r'^/conv(\d+)/W$', r'/W\1', k)
             for k in degenerate_keys(batch, shapes, normalize, train)}
    assert_close(ref, got, loose=loose)
    # one forward launch per MAX_GROUPS resized sizes, two backward
    # launches when an input is resized, grid capped
    resized = {(h, w) for _, h, w in shapes} - {size, (1, 1)}
    assert len(kernels.forward.launches) == max(
        1, -(-len(resized) // max_groups))
    for k in (kernels.backward_rows, kernels.backward_cols):
        assert len(k.launches) == (1 if resized else 0)
    for grid, block in (kernels.forward.launches
                        + kernels.backward_rows.launches
                        + kernels.backward_cols.launches):
        assert block == (32,) and 1 <= grid[0] <= 7 and 1 <= grid[1] <= 7


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
    for kernel in ('fdn_stage_forward', 'fdn_stage_backward_rows',
                   'fdn_stage_backward_cols'):
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
    kernels = cuda_emulator.EmulatedModule(emulated, max_grid=7, block=32)
    gy = numpy.ones((2, 3, 9, 9), dtype=dtype)
    with pytest.raises(TypeError, match='gy is ' + numpy.dtype(dtype).name):
        transposed_upsample_kernel(kernels, gy, [(5, 5), (9, 9)])
    assert kernels.backward_rows.launches == []
    zs = [numpy.ones((2, 3, 5, 5), numpy.float32)]
    scale = numpy.ones((1, 3), dtype=dtype)
    shift = numpy.zeros(3, numpy.float32)
    with pytest.raises(TypeError, match='scale is ' + numpy.dtype(dtype).name):
        accumulate_kernel(kernels, zs, scale, shift, (9, 9))
