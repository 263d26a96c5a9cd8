"""eval/bench_model.py run as a script (its functions: tests/benchmarks)."""

import json
import os
import subprocess
import sys

import pytest

from sparsemask.benchmarks import onnx_runtime_available
from sparsemask.benchmarks import paper_format
from sparsemask.utils import reuse_freed_memory
from tests.benchmarks.models import build
from tests.benchmarks.models import size

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'eval', 'bench_model.py')
PAPER_ARCH = os.path.join(ROOT, 'configs', 'arch',
                          'sparsemask_mobilenetv2_voc.yaml')


def _run(*args):
    return subprocess.run([sys.executable, SCRIPT] + list(args), cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)


def test_script_end_to_end(tmp_path):
    path = str(tmp_path / 'out' / 'bench.json')
    r = _run('model.width_multiplier=0.25', '--size', '64', '--repeat', '1',
             '--train-batch', '2', '3', '--train-crop', '64', '48x40',
             '--train-repeat', '1', '--json', path, '--batch', '1', '2',
             '--threads', '1')
    assert r.returncode == 0, r.stdout
    with open(path) as f:
        result = json.load(f)
    assert set(result) == {
        'device', 'gpu', 'argv', 'time', 'versions', 'load_average_start',
        'load_average_end', 'config', 'run', 'overrides', 'mode', 'backbone',
        'width_multiplier', 'decoder_channels', 'arch', 'n_connections',
        'n_class', 'parameters', 'size', 'repeat', 'train_repeat', 'warmup',
        'blas_threads', 'threads', 'onnxruntime', 'outputs', 'throughput',
        'train', 'memory_method', 'reuse_freed_memory',
        'onnxruntime_process'}
    # ONNX Runtime (when installed) in a child process of its own
    assert result['onnxruntime_process'] is result['onnxruntime']
    # as the training and evaluation scripts do (on Linux with glibc)
    assert result['reuse_freed_memory'] is reuse_freed_memory()
    assert 'malloc keeps freed blocks' in r.stdout or \
        not result['reuse_freed_memory']
    assert result['mode'] == 'retrain'
    assert result['arch'] == PAPER_ARCH
    assert result['n_connections'] == 15
    assert result['width_multiplier'] == 0.25
    assert result['size'] == [64, 64]
    assert set(result['parameters']) == {
        'encoder', 'encoder_unused', 'decoder', 'decoder_stages', 'head',
        'total', 'paper_format'}
    # the printed decoder count is that of the paper's architecture
    model = build(width=0.25)
    decoder = size(model.decoder.params()) + size(model.head.params())
    assert result['parameters']['decoder'] == decoder
    printed = paper_format(
        size(model.backbone.params())
        - size(model.backbone.logits_conv.params()), decoder)
    assert result['parameters']['paper_format'] == printed
    assert 'parameters: {} '.format(printed) in r.stdout
    assert result['outputs']['agree']
    ort = onnx_runtime_available()
    assert result['onnxruntime'] == ort
    assert set(result['outputs']) == {
        'max_abs_diff', 'max_abs_logit', 'tolerance', 'agree'} | (
            {'onnxruntime_max_abs_diff'} if ort else set())
    variants = ['ours', 'stock'] + (['onnxruntime'] if ort else [])
    assert [row['batch'] for row in result['throughput']] == [1, 2]
    for row in result['throughput']:
        assert set(row) == {'batch', 'ours_over_stock'} | set(variants) | (
            {'ours_over_onnxruntime'} if ort else set())
        for name in variants:
            assert set(row[name]) == {'median_s', 'times_s', 'images_per_s'}
            assert len(row[name]['times_s']) == 1
            assert row[name]['images_per_s'] > 0
        assert row['ours_over_stock'] == pytest.approx(
            row['ours']['images_per_s'] / row['stock']['images_per_s'])
    assert [(row['crop'], row['batch']) for row in result['train']] == [
        ([64, 64], 2), ([64, 64], 3), ([48, 40], 2), ([48, 40], 3)]
    for row in result['train']:
        assert set(row) == {'batch', 'crop', 'ours', 'stock',
                            'stock_over_ours_time', 'ours_over_stock_memory'}
        for name in ('ours', 'stock'):
            t, m = row[name]['time'], row[name]['memory']
            assert len(t['times_s']) == 1 and t['median_s'] > 0
            assert set(m) == {
                'batch', 'crop', 'parameter_bytes', 'gradient_bytes',
                'activation_bytes', 'peak_step_bytes', 'retained_step_bytes',
                'input_bytes', 'parameters_and_gradients', 'total_bytes'}
            assert m['batch'] == row['batch'] and m['crop'] == row['crop']
            assert m['activation_bytes'] > 0
        assert set(row['ours_over_stock_memory']) == {'total_bytes',
                                                      'activation_bytes'}
    assert result['memory_method'] == 'tracemalloc peak'
    assert 'ours/stock' in r.stdout
    assert 'wrote {}'.format(path) in r.stdout


def test_quick_search_model(tmp_path):
    path = str(tmp_path / 'search.json')
    r = _run('--quick', '--quiet', '--search', '--batch', '1',
             '--json', path, 'model.width_multiplier=0.25',
             '--default-malloc', '--onnxruntime-in-process')
    assert r.returncode == 0, r.stdout
    with open(path) as f:
        result = json.load(f)
    assert result['reuse_freed_memory'] is False
    assert result['onnxruntime_process'] is False
    assert "malloc glibc's default" in r.stdout
    assert result['mode'] == 'search'
    assert result['n_connections'] == 90
    assert result['outputs']['agree']


@pytest.mark.parametrize('args, message', [
    (['--config', 'missing.yaml'], 'missing.yaml does not exist'),
    (['model.no_such_key=1'], "unknown key 'model.no_such_key'"),
    (['--arch', 'missing_arch.yaml'], 'model.arch: missing_arch.yaml'),
    (['--size', '64x'], "--size '64x'"),
    (['--batch', '0'], '--batch 0'),
    (['--train-batch', '2', '0'], '--train-batch 2 0'),
    (['--train-crop', '64', 'x'], "--train-crop 'x'"),
    (['--threads', '0'], '--threads 0'),
    (['--gpu', '0'], '--gpu 0'),
    (['--search', '--arch', 'full'], '--arch'),
])
def test_errors_are_one_line(tmp_path, args, message):
    if args == ['--gpu', '0']:
        import chainer
        if chainer.backends.cuda.available:
            pytest.skip('a GPU is available')
    path = str(tmp_path / 'bench.json')
    r = _run('--quick', '--quiet', '--json', path, *args)
    assert r.returncode == 1, r.stdout
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), r.stdout
    assert message in lines[0]
    assert not os.path.exists(path)
