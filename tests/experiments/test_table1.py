"""The Table 1 protocol on the --quick synthetic data, run in this process
(:mod:`sparsemask.experiments.table1`); ``eval/table1.py``'s command line is
tested in ``tests/eval/test_table1.py``."""

import importlib
import json
import os
import subprocess
import sys

import chainer
import numpy
import pytest

from chainercv.evaluations import eval_semantic_segmentation

from sparsemask.connectivity import Connectivity
from sparsemask.experiments import run_table1
from sparsemask.experiments import Table1
from sparsemask.experiments import table1_options
from sparsemask.training import build_datasets
from sparsemask.training import build_model
from sparsemask.training import ConfigError
from sparsemask.training import load_config
from sparsemask.training import load_trained_model
from sparsemask.utils import statistics as stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'configs', 'table1_synthetic.yaml')

ROWS = ['unet', 'full', 'sparsemask']
SEEDS = [10, 11, 12]


def _options(out, **options):
    # the options of eval/table1.py --quick --out OUT ...
    return table1_options(CONFIG, out, quick=True, **options)


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
        result = run_table1(_options(out, jobs=1, rows=ROWS),
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
            # --quick: one grid seed, the first retrain seed
            assert [r['seed'] for r in g['runs']] == [10]
            run_dir = os.path.join(quick['out'], g['runs'][0]['dir'])
            assert g['holdout_miou'] == pytest.approx(_final_miou(run_dir))
            config = load_config(os.path.join(run_dir, 'config.yaml'))
            assert config['dataset']['holdout'] == 4
            assert config['train']['lr_decoder'] == g['lr']
    # no training with a holdout read the val split: the grid trainings
    # only ever built the training split
    with_holdout = [b for b in quick['built'] if b[1] is not None]
    n_grid = sum(len(r['grid']) for r in quick['json']['rows'])
    # (twice each: the training, and its confusion matrix at the end)
    assert with_holdout == [('train', 4)] * (2 * n_grid)
    assert quick['json']['protocol']['holdout'] == 4


def test_jobs_run_the_trainings_in_worker_processes(quick, tmp_path):
    # --jobs 2: the same table (here the U-Net row), its trainings run by
    # two single-threaded worker processes, not by this one
    out = str(tmp_path / 'out')
    lines = []
    result = run_table1(_options(out, jobs=2, rows=['unet'], stability=[]),
                        say=lines.append)
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
    again = run_table1(_options(out, jobs=2, rows=['unet'], stability=[]),
                       say=lines.append)
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
    # the whole table again, in this process: every training (searches,
    # grid, seeds, stability) is reused, none is touched
    out = quick['out']
    models = {}
    for t in quick['json']['trainings']:
        path = os.path.join(out, t['dir'], 'model.npz')
        models[path] = os.stat(path).st_mtime_ns
    lines = []
    again = run_table1(_options(out, jobs=1, rows=ROWS), say=lines.append)
    assert not any(line.endswith(' ...') for line in lines)
    assert again['timing']['ran'] == 0
    assert again['timing']['trainings'] == quick['json']['timing'][
        'trainings']
    for path, mtime in models.items():
        assert os.stat(path).st_mtime_ns == mtime
    for a, b in zip(again['rows'], quick['json']['rows']):
        assert a['miou_mean'] == b['miou_mean']
        assert a['tuned_lr'] == b['tuned_lr']


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
    result = run_table1(_options(out, stability=[], rows=rows),
                        say=lambda text: None)
    assert [r['key'] for r in result['rows']] == rows
    for row in result['rows']:
        assert row['note'] is None
        assert row['n'] == 3
        # DeepLabV3 has no FDN decoder
        assert (row['connections'] is None) == (row['key'] == 'deeplabv3')
        assert row['parameters']['decoder'] > 0


def test_matched_channels_finds_the_depth_of_a_parameter_count(tmp_path):
    # the full FDN row with "the decoder parameters of SparseMask": the
    # depth whose decoder is nearest a target, here a count that a depth
    # gives exactly, and one between two depths
    table = Table1(_options(str(tmp_path / 'out')), say=lambda t: None)

    def full(c):
        return table.decoder_params(['model.arch=full',
                                     'model.channels={}'.format(c)])

    assert full(2) < full(3) < full(4)      # quick depth: 4
    assert table.matched_channels(full(3)) == (3, full(3))
    assert table.matched_channels(full(2) + 1) == (2, full(2))
    assert table.matched_channels(full(4) - 1) == (4, full(4))
    assert table.matched_channels(1)[0] == 1    # below every depth


BENCHMARK = ['dataset.name=benchmark', 'dataset.n_train=16',
             'dataset.n_val=4', 'dataset.n_test=4', 'dataset.size=32']


def test_with_a_test_split_the_grid_is_tuned_on_val_and_reused_on_test(
        tmp_path):
    # on a data set with a test split a grid training at the chosen rate
    # is its seed's retraining: its log's mIoU (val) tunes the rate, its
    # confusion matrix's (test) is the table's
    # (in worker processes, as the table runs on the CPU)
    out = str(tmp_path / 'out')
    result = run_table1(_options(out, jobs=2, rows=['unet'], stability=[],
                                 overrides=list(BENCHMARK)),
                        say=lambda t: None)
    assert result['protocol']['tune_split'] == 'val'
    assert result['protocol']['eval_split'] == 'test'
    row = result['rows'][0]
    for g in row['grid']:
        for r in g['runs']:
            assert r['holdout_miou'] == _final_miou(os.path.join(out,
                                                                 r['dir']))
    grid_dirs = {r['dir'] for g in row['grid'] for r in g['runs']
                 if g['lr'] == row['tuned_lr']}
    assert [r['seed'] for r in row['runs']] == SEEDS
    # the grid seed's retraining is the grid's training: 2 + 2 ran, not 5
    assert row['runs'][0]['dir'] in grid_dirs
    assert result['timing']['ran'] == 4
    assert len({t['dir'] for t in result['trainings']}) == 4
    # the reported mIoU is the test split's, as ChainerCV computes it from
    # the trained model's predictions
    for run in row['runs']:
        run_dir = os.path.join(out, run['dir'])
        confusion = _read_json(os.path.join(run_dir, 'confusion.json'))
        assert confusion['split'] == 'test'
        model, config = load_trained_model(run_dir)
        test = build_datasets(dict(config['dataset'], val_split='test'))[1]
        imgs, labels = zip(*[test[i] for i in range(len(test))])
        with chainer.using_config('train', False):
            preds = model.predict(list(imgs))
        expected = eval_semantic_segmentation(preds, list(labels))
        assert run['val_miou'] == pytest.approx(
            numpy.nanmean(expected['iou']), abs=1e-6)
