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


def test_nan_loss_stops_with_iteration_and_keeps_last_good_snapshot(
        tmp_path):
    out = str(tmp_path / 'out')
    r = run('search.py', out, 'train.lr_encoder=1e6', 'train.lr_decoder=1e6',
            'train.iterations=40')
    assert r.returncode != 0
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith('error: ') and ' at iteration ' in last, r.stdout
    iteration = int(last.split(' at iteration ')[1].split(';')[0])
    snapshots = sorted(int(f.rsplit('_', 1)[1]) for f in os.listdir(out)
                       if f.startswith('snapshot_iter_'))
    # snapshots are taken every iteration here: the newest is the one
    # before the divergence, and it is named in the message
    assert snapshots[-1] == iteration - 1
    assert 'snapshot_iter_{}'.format(iteration - 1) in last
    assert not os.path.exists(os.path.join(out, 'model.npz'))
