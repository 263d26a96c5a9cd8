"""scripts/gpu_checks.sh: its plumbing, run on the CPU (--gpu -1)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'scripts', 'gpu_checks.sh')


def _run(*args):
    return subprocess.run(['bash', SCRIPT, '--python', sys.executable]
                          + list(args), capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def test_train_step_searches_and_retrains(tmp_path):
    out = tmp_path / 'gpu'
    proc = _run('--gpu', '-1', '--iterations', '3', '--out', str(out),
                'train')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / 'search' / 'arch.yaml').is_file()
    assert (out / 'retrain' / 'model.npz').is_file()
    assert 'search: exit 0' in proc.stdout
    assert 'retrain: exit 0' in proc.stdout
    assert (out / 'search.txt').is_file() and (out / 'retrain.txt').is_file()
    # the snapshots are deleted, the results kept
    for d in ('search', 'retrain'):
        assert not [f for f in os.listdir(out / d)
                    if f.startswith('snapshot_')]


def test_a_failing_step_fails_the_script(tmp_path):
    out = tmp_path / 'gpu'
    proc = _run('--gpu', '-1', '--iterations', '0', '--out', str(out),
                'train')
    assert proc.returncode == 1
    assert 'search: exit 1' in proc.stdout
    assert 'train.iterations' in proc.stdout  # the config error, logged
    assert 'retrain:' not in proc.stdout  # nothing to retrain


def test_usage_errors():
    proc = _run()
    assert proc.returncode == 2 and 'no step given' in proc.stderr
    proc = _run('benchmark')
    assert proc.returncode == 2
    assert "unknown argument 'benchmark'" in proc.stderr
    proc = subprocess.run(['bash', SCRIPT, '--python', '/nonexistent/python',
                           'bench'], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 2 and '--python' in proc.stderr


def test_kernels_step_runs_the_kernel_check_without_sparsemask(tmp_path):
    # the kernels step needs neither Chainer nor sparsemask: --python is
    # not checked for it; on the CPU it runs the --emulate rehearsal
    if shutil.which('g++') is None:
        pytest.skip('g++ is not installed: cannot emulate the kernels')
    out = tmp_path / 'gpu'
    env = dict(os.environ, KERNEL_PYTHON=sys.executable,
               KERNEL_ARGS='--emulate --skip ptxas --skip torch')
    proc = subprocess.run(['bash', SCRIPT, '--python', '/nonexistent/python',
                           '--out', str(out), 'kernels'],
                          capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'gpu_kernel_check: exit 0' in proc.stdout
    result = json.loads((out / 'kernel_check' / 'gpu_kernel_check.json')
                        .read_text())
    assert result['ok'] and result['mode'] == 'emulate'
    assert (out / 'gpu_kernel_check.txt').is_file()


def test_help_names_the_two_calls_of_a_lent_gpu():
    proc = _run('--help')
    assert proc.returncode == 0
    for text in ('Call 1', 'Call 2', 'scripts/gpu_kernel_check.py',
                 'offline_bundle.sh --minimal', 'sparsemask-offline.tar'
                 '.part-00', 'timeout_s'):
        assert text in proc.stdout, text
