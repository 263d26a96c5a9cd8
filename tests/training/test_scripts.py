import json
import os

import numpy
import pytest

from sparsemask.connectivity import Connectivity
from sparsemask.extensions import load_connection_weights
from sparsemask.prune import prune
from tests.training.tiny_run import run


@pytest.fixture(scope='module')
def search_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('search') / 'run')
    r = run('search.py', out, 'train.iterations=4')
    assert r.returncode == 0, r.stdout
    assert 'connections kept' in r.stdout
    return out


def test_search_writes_its_outputs(search_dir):
    files = set(os.listdir(search_dir))
    assert {'arch.yaml', 'connection_weights.npz', 'connection_weights.png',
            'config.yaml', 'log', 'model.npz', 'loss.png',
            'miou.png'} <= files
    weights = load_connection_weights(
        os.path.join(search_dir, 'connection_weights.npz'))
    assert sum(len(v) for v in weights.values()) == 90
    assert all(0 <= w <= 1 for v in weights.values() for w in v.values())
    arch = Connectivity.from_yaml(os.path.join(search_dir, 'arch.yaml'))
    assert arch == prune(weights, sigma=1e-3, n_stages=9)


@pytest.mark.parametrize('source', ['dir', 'snapshot', 'npz'])
def test_prune_offline_with_another_threshold(search_dir, tmp_path, source):
    weights = load_connection_weights(
        os.path.join(search_dir, 'connection_weights.npz'))
    values = sorted(w for v in weights.values() for w in v.values())
    sigma = float(numpy.median(values))
    path = {'dir': search_dir,
            'snapshot': os.path.join(search_dir, 'snapshot_iter_4'),
            'npz': os.path.join(search_dir, 'connection_weights.npz')}[source]
    out = str(tmp_path / 'pruned')
    args = ['--search', path, '--out', out,
            'train.sigma={!r}'.format(sigma)]
    if source != 'dir':
        args += ['--config', os.path.join(search_dir, 'config.yaml')]
    r = run_prune(args)
    assert r.returncode == 0, r.stdout
    arch = Connectivity.from_yaml(os.path.join(out, 'arch.yaml'))
    assert arch == prune(weights, sigma=sigma, n_stages=9)
    assert arch.n_connections < 90
    assert os.path.isfile(os.path.join(out, 'connection_weights.png'))


def run_prune(args):
    import subprocess
    import sys
    from tests.training.tiny_run import ROOT
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, 'train', 'prune.py')] + args,
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True)


def test_prune_errors(tmp_path):
    r = run_prune(['--search', str(tmp_path)])
    assert r.returncode != 0 and 'neither snapshots nor' in r.stdout


def test_retrain_the_searched_architecture(search_dir, tmp_path):
    out = str(tmp_path / 'retrain')
    arch = os.path.join(search_dir, 'arch.yaml')
    r = run('retrain.py', out, 'train.iterations=2', 'model.arch=' + arch)
    assert r.returncode == 0, r.stdout
    assert os.path.isfile(os.path.join(out, 'model.npz'))
    with numpy.load(os.path.join(out, 'model.npz')) as f:
        # no connection weights in a retrained model
        assert not [k for k in f.files if k.endswith('/w')]
        n_convs = len([k for k in f.files
                       if k.startswith('decoder/stage') and '/conv' in k
                       and k.endswith('/W')])
    assert n_convs == Connectivity.from_yaml(arch).n_connections
    # plots are drawn unless log.plots=false
    assert os.path.isfile(os.path.join(out, 'loss.png'))
    quiet = str(tmp_path / 'quiet')
    r = run('retrain.py', quiet, 'train.iterations=2', 'log.plots=false',
            'model.arch=' + arch)
    assert r.returncode == 0, r.stdout
    files = set(os.listdir(quiet))
    assert 'log' in files and not {'loss.png', 'miou.png'} & files


@pytest.mark.parametrize('source', ['snapshot', 'dir'])
def test_prune_reads_the_config_beside_the_snapshot(search_dir, tmp_path,
                                                    source):
    # The README's form, without --config: the search ran with a config
    # other than the defaults (TINY: model.channels=16, a thinner
    # MobileNetV2), which the snapshot's arrays only fit.
    path = {'dir': search_dir,
            'snapshot': os.path.join(search_dir, 'snapshot_iter_4')}[source]
    out = str(tmp_path / 'pruned')
    r = run_prune(['--search', path, '--out', out])
    assert r.returncode == 0, r.stdout
    assert Connectivity.from_yaml(os.path.join(out, 'arch.yaml')) == \
        Connectivity.from_yaml(os.path.join(search_dir, 'arch.yaml'))


def test_prune_dir_takes_the_newest_snapshot_by_iteration(search_dir,
                                                           tmp_path):
    import shutil
    run_dir = str(tmp_path / 'run')
    os.makedirs(run_dir)
    shutil.copy(os.path.join(search_dir, 'config.yaml'), run_dir)
    for i in (3, 4):
        shutil.copy(os.path.join(search_dir, 'snapshot_iter_{}'.format(i)),
                    run_dir)
    # snapshot 3 is touched last: the choice must not follow mtimes
    os.utime(os.path.join(run_dir, 'snapshot_iter_4'), (1e9, 1e9))
    r = run_prune(['--search', run_dir, '--out', str(tmp_path / 'p')])
    assert r.returncode == 0, r.stdout
    assert 'pruned {} '.format(
        os.path.join(run_dir, 'snapshot_iter_4')) in r.stdout


@pytest.mark.parametrize('name,damage', [
    ('snapshot_iter_4', 'truncate'),
    ('snapshot_iter_4', 'empty'),
    ('connection_weights.npz', 'truncate'),
    ('connection_weights.npz', 'foreign'),
])
def test_prune_names_a_damaged_file_in_one_line(search_dir, tmp_path, name,
                                                damage):
    path = str(tmp_path / name)
    with open(os.path.join(search_dir, name), 'rb') as f:
        data = f.read()
    if damage == 'truncate':
        data = data[:len(data) // 2]
    elif damage == 'empty':
        data = b''
    with open(path, 'wb') as f:
        if damage == 'foreign':
            numpy.savez(f, something=numpy.zeros(3))
        else:
            f.write(data)
    r = run_prune(['--search', path, '--config',
                   os.path.join(search_dir, 'config.yaml')])
    assert r.returncode == 1, r.stdout
    assert 'Traceback' not in r.stdout
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ' + path), lines


try:
    import onnxruntime  # NOQA
    ONNX_RUNTIME = True
except ImportError:
    ONNX_RUNTIME = False


@pytest.mark.parametrize('jobs', ['1', '2'])
def test_demo_table_has_the_baselines_and_says_untuned(tmp_path, jobs):
    out = str(tmp_path / 'demo')
    # the demo's own config (the benchmark), tiny
    import subprocess
    import sys
    from tests.training.tiny_run import ROOT
    from tests.training.tiny_run import TINY
    r = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'train', 'demo.py'), '--out',
         out] + TINY + ['train.iterations=4', 'dataset.n_val=16',
                        'dataset.n_train=64', 'log.snapshot_interval=1000',
                        'log.eval_interval=4', '--jobs', jobs],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True)
    assert r.returncode == 0, r.stdout
    with open(os.path.join(out, 'summary.json')) as f:
        summary = json.load(f)
    rows = {row['architecture']: row for row in summary['rows']}
    assert list(rows) == ['searched', 'full FDN', 'U-Net', 'FCN']
    assert rows['full FDN']['connections'] == 90
    assert rows['U-Net']['connections'] == 18
    assert rows['FCN']['connections'] == 2
    for name, row in rows.items():
        assert row['lr_tuned'] is False
        assert row['lr_decoder'] == summary['config']['train'][
            'lr_decoder']
        # the table's mIoU is the retraining's final evaluation
        key = {'searched': 'searched', 'full FDN': 'full', 'U-Net': 'unet',
               'FCN': 'fcn'}[name]
        with open(os.path.join(out, 'retrain_' + key, 'log')) as f:
            log = json.load(f)
        assert row['miou'] == [e['val/main/miou'] for e in log
                               if 'val/main/miou' in e][-1]
        line = next(x for x in r.stdout.splitlines()
                    if x.startswith(name + ' '))
        assert line.endswith('(untuned)')
        if ONNX_RUNTIME:
            # the exported model in ONNX Runtime: the same mIoU
            assert row['miou_onnxruntime'] == pytest.approx(row['miou'],
                                                            abs=1e-3)
    if ONNX_RUNTIME:
        assert 'ONNX Runtime     mIoU   images/s vs Chainer' in r.stdout
    # the benchmark with its pretrained encoder, and the ranking with the
    # rows closer than the committed Table 1's spread tied
    assert summary['config']['dataset']['name'] == 'benchmark'
    assert summary['config']['model']['pretrained_model'] == 'benchmark'
    from sparsemask.experiments.tied_ranking import format_ranking
    from sparsemask.experiments.tied_ranking import tied_ranking
    ranking = format_ranking(tied_ranking(
        {name: row['miou'] for name, row in rows.items()},
        summary['tie_margin']))
    assert summary['ranking'] == ranking
    assert 'ranking: ' + ranking in r.stdout
    if jobs == '2':
        # the retrainings ran in two worker processes
        pids = {json.load(open(os.path.join(
            out, 'retrain_' + k, 'train_status.json')))['pid']
            for k in ('searched', 'full', 'unet', 'fcn')}
        assert len(pids) == 2
