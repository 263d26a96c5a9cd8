import os

from tests.training.tiny_run import run


def test_missing_data_directory_is_named_with_how_to_get_it(tmp_path):
    missing = str(tmp_path / 'VOC2012')
    r = run('search.py', str(tmp_path / 'out'), 'dataset.name=voc',
            'dataset.voc_dir=' + missing, 'dataset.sbd_dir=' + missing)
    assert r.returncode != 0
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith('error: ') and missing in last
    assert 'VOCtrainval_11-May-2012.tar' in last
    assert 'Traceback' not in r.stdout


def test_unknown_config_key_lists_valid_keys(tmp_path):
    r = run('retrain.py', str(tmp_path / 'out'), 'train.batch_size=2')
    assert r.returncode != 0
    assert "unknown key 'train.batch_size'" in r.stdout
    assert 'batchsize' in r.stdout and 'Traceback' not in r.stdout


def test_nan_loss_stops_with_iteration_and_moves_the_diverged_snapshots(
        tmp_path):
    out = str(tmp_path / 'out')
    r = run('search.py', out, 'train.lr_encoder=1e6', 'train.lr_decoder=1e6',
            'train.iterations=40')
    assert r.returncode != 0
    assert 'Traceback' not in r.stdout
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith('error: ') and ' at iteration ' in last, r.stdout
    iteration = int(last.split(' at iteration ')[1].split(';')[0])
    # the loss grows from the first update on (from 2 to about 1e15 before
    # the NaN): no snapshot predates the growth, and the ones kept (taken
    # every iteration here) are moved aside, not deleted, so that
    # --resume does not start from them
    assert not [f for f in os.listdir(out) if f.startswith('snapshot_iter_')]
    diverged = os.path.join(out, 'diverged')
    assert sorted(int(f.rsplit('_', 1)[1]) for f in os.listdir(diverged)) \
        == [iteration - 2, iteration - 1]
    assert 'to {}; no snapshot predates the growth: start over into a fresh ' \
        '--out with the overrides train.lr_encoder=1e+05 ' \
        'train.lr_decoder=1e+05'.format(diverged) in last
    assert not os.path.exists(os.path.join(out, 'model.npz'))
