"""eval/bench_kernels.py: the CPU run, and its GPU-only kernel timing run
with the CUDA kernels emulated on the CPU (no GPU needed)."""

import json
import os
import shutil
import subprocess
import sys

import numpy
import pytest

from sparsemask.cuda import kernel_path
from tests.functions import cuda_emulator
from tests.load_script import load_script

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'eval', 'bench_kernels.py')


bench = load_script('eval/bench_kernels.py')


def test_cpu_run_writes_ratios(tmp_path):
    out = tmp_path / 'bench.json'
    proc = subprocess.run(
        [sys.executable, SCRIPT, '--stages', '6', '--batchsize', '1',
         '--repeat', '1', '--out', str(out)], capture_output=True,
        text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    rows = result['stages']
    # the search's form of the stage and the retraining's
    assert [row['mode'] for row in rows] == ['search', 'retrain']
    for row in rows:
        assert row['stage'] == 6 and row['inputs'] == 8
        assert row['output'] == [33, 33]
        for key in ('forward', 'forward_backward'):
            assert row[key + '_speedup'] == pytest.approx(
                row['unfused_{}_s'.format(key)]
                / row['fused_{}_s'.format(key)])
        assert row['peak_memory_ratio'] == pytest.approx(
            row['fused_peak_bytes'] / row['unfused_peak_bytes'])
        assert 'kernel_forward_s' not in row  # GPU only
    assert 'wrote' in proc.stdout


def test_kernel_timing_with_emulated_kernels(tmp_path):
    if shutil.which('g++') is None:
        pytest.skip('g++ is not installed: cannot emulate the kernels')
    lib = cuda_emulator.compile_cu(kernel_path('fdn_stage.cu'),
                                   str(tmp_path))
    kernels = cuda_emulator.EmulatedModule(lib, max_grid=3, block=32)
    shapes = [(8, 9, 9), (8, 5, 5), (8, 1, 1), (8, 3, 3), (8, 5, 5)]
    r = bench.kernel_bandwidth(shapes, 1, (9, 9), numpy, 1, kernels)
    D = bench.DECODER
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
