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
