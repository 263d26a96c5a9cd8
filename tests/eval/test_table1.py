import importlib
import json
import math
import os
import subprocess
import sys

import numpy
import pytest

from sparsemask.connectivity import Connectivity
from sparsemask.training import build_model
from sparsemask.training import ConfigError
from sparsemask.training import load_config
from sparsemask.utils import statistics as stats
from tests.load_script import load_script

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'eval', 'table1.py')


table1 = load_script('eval/table1.py')

ROWS = ['unet', 'full', 'sparsemask']
SEEDS = [10, 11, 12]


# ------------------------------------------------------------- statistics

def test_mean_and_sample_std_by_hand():
    mean, std = stats.mean_std([0.5, 0.7, 0.6])
    assert mean == pytest.approx(0.6)
    # ((-0.1)^2 + 0.1^2 + 0^2) / (3 - 1) = 0.01
    assert std == pytest.approx(0.1)
    mean, std = stats.mean_std([1, 2, 3, 4])
    assert mean == 2.5
    assert std == pytest.approx(math.sqrt(5.0 / 3.0))   # not sqrt(5/4)
    assert stats.mean_std([0.3]) == (0.3, None)
    assert stats.mean_std([]) == (None, None)


def test_jaccard_by_hand():
    assert stats.jaccard({'a', 'b', 'c'}, {'b', 'c', 'd'}) == 0.5
    assert stats.jaccard({'a'}, {'a'}) == 1.0
    assert stats.jaccard({'a'}, {'b'}) == 0.0
    assert stats.jaccard(set(), set()) == 1.0
    assert stats.jaccard(['a', 'b'], ['a']) == 0.5


def test_pairwise_jaccard_and_selection_frequency_by_hand():
    sets = [{'a', 'b'}, {'a', 'c'}, {'a', 'b', 'd'}]
    assert stats.pairwise_jaccard(sets) == [
        (0, 1, pytest.approx(1 / 3)),     # {a} / {a, b, c}
        (0, 2, pytest.approx(2 / 3)),     # {a, b} / {a, b, d}
        (1, 2, pytest.approx(1 / 4)),     # {a} / {a, b, c, d}
    ]
    freq = stats.selection_frequency(sets)
    assert list(freq) == ['a', 'b', 'c', 'd']   # most frequent first
    assert freq == {'a': 1.0, 'b': pytest.approx(2 / 3),
                    'c': pytest.approx(1 / 3), 'd': pytest.approx(1 / 3)}
    assert stats.selection_frequency([]) == {}


def test_connection_names():
    c = Connectivity(9, {9: ['E9', 'G'], 1: ['E1', 'D9']})
    assert stats.connection_names(c) == {'D9<-E9', 'D9<-G', 'D1<-E1',
                                         'D1<-D9'}


def _log(losses, interval=5):
    # a LogReport log, with an evaluation-only entry in the middle
    entries = [{'iteration': interval * (i + 1), 'main/loss': v}
               for i, v in enumerate(losses)]
    entries.insert(3, {'iteration': 15, 'val/main/miou': 0.5})
    return entries


def test_loss_levelled_by_hand():
    # 20 entries: windows of 2 entries
    losses = [2.0] * 16 + [1.04, 1.02, 1.0, 1.0]
    r = stats.loss_levelled(_log(losses))
    assert r['window'] == 2
    assert r['previous'] == pytest.approx(1.03)
    assert r['last'] == pytest.approx(1.0)
    assert r['relative_change'] == pytest.approx(-0.03 / 1.03)
    assert r['levelled'] is True
    assert r['last_iterations'] == [95, 100]
    assert r['previous_iterations'] == [85, 90]
    # still falling: 1.2 -> 1.0 is -16.7%
    r = stats.loss_levelled(_log([2.0] * 16 + [1.2, 1.2, 1.0, 1.0]))
    assert r['relative_change'] == pytest.approx(-0.2 / 1.2)
    assert r['levelled'] is False
    # rising counts as not levelled either
    r = stats.loss_levelled(_log([2.0] * 16 + [1.0, 1.0, 1.1, 1.1]))
    assert r['levelled'] is False
    # another threshold
    r = stats.loss_levelled(_log([2.0] * 16 + [1.0, 1.0, 1.1, 1.1]),
                            threshold=0.2)
    assert r['levelled'] is True
    # one entry: nothing to compare
    assert stats.loss_levelled(
        [{'iteration': 5, 'main/loss': 1.0}])['levelled'] is None


def test_argmax_first():
    assert stats.argmax_first([0.1, 0.3, 0.3]) == 1
    assert stats.argmax_first([None, float('nan'), 0.2]) == 2
    assert stats.argmax_first([None]) is None


# ----------------------------------------------------------- the command

def test_retrain_seeds_must_differ_from_search_seeds():
    with pytest.raises(ConfigError, match='share 1'):
        table1.parse_args(['--quick', '--seeds', '1', '5', '6'])
    with pytest.raises(ConfigError, match='at least 3'):
        table1.parse_args(['--quick', '--seeds', '5', '6'])
    with pytest.raises(ConfigError, match='stability'):
        table1.parse_args(['--quick', '--search-seeds', '0', '1'])
    args = table1.parse_args(['--quick', '--search-seeds', '0',
                              '--stability'])
    assert args.stability == [] and args.stability_seeds == [10]


@pytest.fixture(scope='module')
def quick(tmp_path_factory):
    """A quick table of three rows, run in this process, with every data
    set the trainings build recorded."""
    out = str(tmp_path_factory.mktemp('table1') / 'out')
    # (the package's attribute build_datasets is the function)
    bd = importlib.import_module('sparsemask.training.build_datasets')
    built = []
    original = bd.build_dataset

    def spy(dataset_config, split, name=None, *rest, **kwargs):
        built.append((split, dataset_config['holdout']))
        return original(dataset_config, split, name, *rest, **kwargs)

    bd.build_dataset = spy
    lines = []
    try:
        result = table1.run(table1.parse_args(
            ['--quick', '--jobs', '1', '--out', out, '--rows'] + ROWS),
            say=lines.append)
    finally:
        bd.build_dataset = original
    with open(os.path.join(out, 'table1.json')) as f:
        saved = json.load(f)
    return {'out': out, 'result': result, 'json': saved, 'built': built,
            'lines': lines}


def _read_json(path):
    with open(path) as f:
        return json.load(f)


def _final_miou(run_dir):
    log = _read_json(os.path.join(run_dir, 'log'))
    return [e['val/main/miou'] for e in log if 'val/main/miou' in e][-1]


def test_table_has_the_rows_and_three_seeds(quick):
    rows = quick['json']['rows']
    assert [r['key'] for r in rows] == ROWS     # the paper's order
    with open(os.path.join(quick['out'], 'table1.md')) as f:
        md = f.read()
    for row in rows:
        assert row['note'] is None
        assert [r['seed'] for r in row['runs']] == SEEDS
        mious = [r['val_miou'] for r in row['runs']]
        assert row['n'] == 3
        assert row['miou_mean'] == pytest.approx(numpy.mean(mious))
        assert row['miou_std'] == pytest.approx(numpy.std(mious, ddof=1))
        for r in row['runs']:
            run_dir = os.path.join(quick['out'], r['dir'])
            assert r['val_miou'] == pytest.approx(_final_miou(run_dir))
            config = load_config(os.path.join(run_dir, 'config.yaml'))
            assert config['train']['seed'] == r['seed']
            assert config['dataset']['holdout'] is None
            assert config['train']['lr_decoder'] == row['tuned_lr']
            assert r['loss']['relative_change'] is not None
        assert row['parameters']['paper_format'] in md
        assert row['images_per_s'] > 0
        line = next(x for x in md.splitlines()
                    if x.startswith('| {} |'.format(row['label'])))
        assert '({})'.format(3) in line
        assert row['levelled']['of'] == 3
    assert rows[0]['connections'] == 18      # U-Net on 9 stages
    assert rows[1]['connections'] == 90      # the full FDN


def test_lr_is_chosen_on_the_holdout_never_on_val(quick):
    for row in quick['json']['rows']:
        grid = row['grid']
        assert [g['lr'] for g in grid] == [0.003, 0.01]
        holdout = [g['holdout_miou'] for g in grid]
        # the first of the largest
        assert row['tuned_lr'] == grid[int(numpy.argmax(holdout))]['lr']
        for g in grid:
            run_dir = os.path.join(quick['out'], g['dir'])
            assert g['holdout_miou'] == pytest.approx(_final_miou(run_dir))
            config = load_config(os.path.join(run_dir, 'config.yaml'))
            assert config['dataset']['holdout'] == 4
            assert config['train']['lr_decoder'] == g['lr']
    # no training with a holdout read the val split: the grid trainings
    # only ever built the training split
    with_holdout = [b for b in quick['built'] if b[1] is not None]
    n_grid = sum(len(r['grid']) for r in quick['json']['rows'])
    assert with_holdout == [('train', 4)] * n_grid
    assert quick['json']['protocol']['holdout'] == 4


def test_jobs_run_the_trainings_in_worker_processes(quick, tmp_path):
    # --jobs 2: the same table (here the U-Net row), its trainings run by
    # two single-threaded worker processes, not by this one
    out = str(tmp_path / 'out')
    lines = []
    result = table1.run(table1.parse_args(
        ['--quick', '--jobs', '2', '--out', out, '--rows', 'unet',
         '--stability']), say=lines.append)
    assert any('2 at a time' in line for line in lines)
    pids = set()
    for t in result['trainings']:
        status = _read_json(os.path.join(out, t['dir'],
                                         'train_status.json'))
        assert status['pid'] != os.getpid()
        assert t['cached'] is False     # ran now, in a worker
        pids.add(status['pid'])
    assert len(pids) == 2
    assert len(result['trainings']) == 5    # 2 grid + 3 seeds
    # a worker's training is the training of a single-threaded process,
    # whichever worker ran it: seed 12's again, in a new process
    rerun = str(tmp_path / 'rerun')
    code = ('import sys; from sparsemask.training import load_config; '
            'from sparsemask.training.train_in_dir import train_in_dir; '
            'train_in_dir(load_config(sys.argv[1]), "retrain", sys.argv[2])')
    run = result['rows'][0]['runs'][2]
    env = dict(os.environ, OMP_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1',
               MKL_NUM_THREADS='1')
    subprocess.run([sys.executable, '-c', code,
                    os.path.join(out, run['dir'], 'config.yaml'), rerun],
                   check=True, env=env, cwd=ROOT)
    assert run['seed'] == 12
    assert _final_miou(rerun) == run['val_miou']
    # run again: everything is reused
    again = table1.run(table1.parse_args(
        ['--quick', '--jobs', '2', '--out', out, '--rows', 'unet',
         '--stability']), say=lines.append)
    assert all(t['cached'] for t in again['trainings'])
    assert again['timing']['ran'] == 0


def test_search_stability(quick):
    st = quick['json']['stability']['sparse']
    assert st['search_seeds'] == [0, 1, 2]
    sets = [set(st['connections'][str(s)]) for s in (0, 1, 2)]
    for s in (0, 1, 2):
        arch = Connectivity.from_yaml(os.path.join(
            quick['out'], 'search', 'sparse_s{}'.format(s), 'arch.yaml'))
        assert sets[s] == stats.connection_names(arch)
        assert st['n_connections'][str(s)] == arch.n_connections
    assert [p['seeds'] for p in st['pairwise_jaccard']] == [
        [0, 1], [0, 2], [1, 2]]
    for p in st['pairwise_jaccard']:
        a, b = p['seeds']
        assert p['jaccard'] == pytest.approx(stats.jaccard(sets[a], sets[b]))
    for name, f in st['selection_frequency'].items():
        assert f == pytest.approx(sum(name in s for s in sets) / 3)
    # every found architecture retrained at the row's lr; the first search's
    # is the SparseMask row's own training (reused, not repeated)
    row = next(r for r in quick['json']['rows'] if r['key'] == 'sparsemask')
    assert st['retrain_lr'] == row['tuned_lr']
    assert [r['search_seed'] for r in st['retrained']] == [0, 1, 2]
    assert st['retrained'][0]['runs'][0]['dir'] == row['runs'][0]['dir']
    dirs = [t['dir'] for t in quick['json']['trainings']]
    ran = [t['dir'] for t in quick['json']['trainings'] if not t['cached']]
    assert len(ran) == len(set(ran))
    assert row['runs'][0]['dir'] in dirs


def test_rerun_reuses_finished_trainings(quick):
    out = quick['out']
    models = {}
    for t in quick['json']['trainings']:
        path = os.path.join(out, t['dir'], 'model.npz')
        models[path] = os.stat(path).st_mtime_ns
    r = subprocess.run(
        [sys.executable, SCRIPT, '--quick', '--out', out, '--rows'] + ROWS,
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True)
    assert r.returncode == 0, r.stdout
    assert ' ...' not in r.stdout      # no training started
    again = _read_json(os.path.join(out, 'table1.json'))
    assert again['timing']['ran'] == 0
    assert again['timing']['trainings'] == quick['json']['timing'][
        'trainings']
    for path, mtime in models.items():
        assert os.stat(path).st_mtime_ns == mtime
    for a, b in zip(again['rows'], quick['json']['rows']):
        assert a['miou_mean'] == b['miou_mean']
        assert a['tuned_lr'] == b['tuned_lr']


def test_a_directory_of_another_configuration_is_an_error(quick, tmp_path):
    r = subprocess.run(
        [sys.executable, SCRIPT, 'train.iterations=5', '--quick', '--out',
         quick['out'], '--rows', 'unet'],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True)
    assert r.returncode == 1
    assert 'another configuration' in r.stdout
    assert 'train.iterations: 4 -> 5' in r.stdout


def _buildable(arch):
    try:
        build_model(load_config(None, [
            'model.arch={}'.format(arch), 'model.random_connections=15',
            'model.width_multiplier=0.25'])['model'], 'retrain', 5)
    except ConfigError:
        return False
    return True


def test_baseline_rows_when_they_exist(tmp_path):
    rows = [k for k, arch in (('fcn', 'fcn'), ('deeplabv3', 'deeplabv3'),
                              ('sparseacn', 'sparseacn'),
                              ('random', 'random'))
            if _buildable(arch)]
    assert rows == ['fcn', 'deeplabv3', 'sparseacn', 'random']
    out = str(tmp_path / 'out')
    result = table1.run(table1.parse_args(
        ['--quick', '--out', out, '--stability', '--rows'] + rows),
        say=lambda text: None)
    assert [r['key'] for r in result['rows']] == rows
    for row in result['rows']:
        assert row['note'] is None
        assert row['n'] == 3
        # DeepLabV3 has no FDN decoder
        assert (row['connections'] is None) == (row['key'] == 'deeplabv3')
        assert row['parameters']['decoder'] > 0


def test_weight_summary_by_hand():
    weights = {9: {'E9': 1.0, 'G': 0.0}, 8: {'E8': 0.0005, 'G': 0.5,
                                             'D9': 0.97},
               1: {'E1': 0.02, 'D9': 0.0}}
    s = stats.weight_summary(weights, sigma=1e-3)
    assert s['n'] == 7
    assert s['zero'] == 2
    assert s['below_sigma'] == 1                # 0.0005
    assert s['middle'] == 1                     # 0.5; 0.02 is below 0.05
    assert s['high'] == 2                       # 1.0, 0.97
    assert s['largest_dropped'] == 0.0005
    assert s['smallest_kept'] == 0.02
    s = stats.weight_summary({1: {'E1': 0.5}}, sigma=1e-3)
    assert s['largest_dropped'] is None and s['smallest_kept'] == 0.5


def test_matched_channels_finds_the_depth_of_a_parameter_count(tmp_path):
    # the full FDN row with "the decoder parameters of SparseMask": the
    # depth whose decoder is nearest a target, here a count that a depth
    # gives exactly, and one between two depths
    table = table1.Table1(table1.parse_args(
        ['--quick', '--out', str(tmp_path / 'out')]), say=lambda t: None)

    def full(c):
        return table.decoder_params(['model.arch=full',
                                     'model.channels={}'.format(c)])

    assert full(2) < full(3) < full(4)      # quick depth: 4
    assert table.matched_channels(full(3)) == (3, full(3))
    assert table.matched_channels(full(2) + 1) == (2, full(2))
    assert table.matched_channels(full(4) - 1) == (4, full(4))
    assert table.matched_channels(1)[0] == 1    # below every depth
