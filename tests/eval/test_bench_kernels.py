"""eval/bench_kernels.py: the CPU run (its GPU-only kernel timing, with the
CUDA kernels emulated: tests/benchmarks/test_kernel_bandwidth.py)."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'eval', 'bench_kernels.py')


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
