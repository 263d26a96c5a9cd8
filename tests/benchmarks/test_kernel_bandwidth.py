"""The GPU-only kernel timing of the stage benchmark, with the CUDA kernels
emulated on the CPU (no GPU needed)."""

import shutil

import numpy
import pytest

from sparsemask.benchmarks import kernel_bandwidth
from sparsemask.benchmarks.stage_inputs import DECODER
from sparsemask.cuda import kernel_path
from tests.functions import cuda_emulator


def test_kernel_timing_with_emulated_kernels(tmp_path):
    if shutil.which('g++') is None:
        pytest.skip('g++ is not installed: cannot emulate the kernels')
    lib = cuda_emulator.compile_cu(kernel_path('fdn_stage.cu'),
                                   str(tmp_path))
    kernels = cuda_emulator.EmulatedModule(lib, max_grid=3, block=32)
    shapes = [(8, 9, 9), (8, 5, 5), (8, 1, 1), (8, 3, 3), (8, 5, 5)]
    r = kernel_bandwidth(shapes, 1, (9, 9), numpy, 1, kernels)
    D = DECODER
    out = D * 81
    # bytes: group sums (5x5, 3x3) + the 9x9 input + bias + output
    assert r['kernel_forward_bytes'] == 4 * (D * (25 + 9 + 81 + 1) + out)
    # gy read once, one array per resized size (5x5, 3x3) written once
    assert r['kernel_backward_bytes'] == 4 * (out + D * (25 + 9))
    for key in ('accumulate', 'kernel', 'kernel_backward'):
        assert r[key + '_bandwidth_GBps'] > 0
        assert r[key + '_bandwidth_fraction'] == pytest.approx(
            r[key + '_bandwidth_GBps'] / r['copy_bandwidth_GBps'])
    assert len(kernels.forward.launches) >= 2  # accumulate + alone
    assert len(kernels.backward_rows.launches) >= 1
