"""The trainings of an experiment, run once
(:mod:`sparsemask.experiments.training_runner`)."""

import json

import pytest

from sparsemask.experiments import StaleRunError
from sparsemask.experiments import TrainingRunner
from sparsemask.experiments.training_runner import check_same
from sparsemask.experiments.training_runner import products
from sparsemask.training import ConfigError
from sparsemask.training import dump_config
from sparsemask.training import load_config


def test_a_model_without_a_config_is_not_a_training_of_the_table(tmp_path):
    run_dir = tmp_path / 'run'
    check_same(str(run_dir), load_config(None), None)     # nothing there
    run_dir.mkdir()
    check_same(str(run_dir), load_config(None), None)     # still nothing
    (run_dir / 'model.npz').write_bytes(b'')
    with pytest.raises(StaleRunError, match='no config.yaml'):
        check_same(str(run_dir), load_config(None), None)
    assert issubclass(StaleRunError, ConfigError)


def test_another_configuration_is_named(tmp_path):
    run_dir = tmp_path / 'run'
    run_dir.mkdir()
    (run_dir / 'config.yaml').write_text(dump_config(
        load_config(None, ['train.iterations=4'])))
    check_same(str(run_dir), load_config(None, ['train.iterations=4']), None)
    with pytest.raises(StaleRunError,
                       match='train.iterations: 4 -> 5'):
        check_same(str(run_dir), load_config(None, ['train.iterations=5']),
                   None)


def test_ended_and_read_log(tmp_path):
    runner = TrainingRunner(str(tmp_path), lambda extra: load_config(None),
                            level_window=0.5, level_threshold=0.05,
                            say=lambda text: None)
    run_dir = tmp_path / 'run'
    run_dir.mkdir()
    assert products('retrain') == ['model.npz', 'log']
    assert products('search') == ['model.npz', 'log', 'arch.yaml']
    assert runner.ended(str(run_dir), 'retrain') is None      # not run
    (run_dir / 'train_status.json').write_text(json.dumps(
        {'failed': 'diverged', 'time_s': 1.0}))
    assert runner.ended(str(run_dir), 'retrain')['failed'] == 'diverged'
    (run_dir / 'train_status.json').write_text(json.dumps(
        {'failed': None, 'time_s': 1.0}))
    assert runner.ended(str(run_dir), 'retrain') is None      # interrupted
    (run_dir / 'model.npz').write_bytes(b'')
    (run_dir / 'log').write_text(json.dumps([
        {'iteration': 1, 'main/loss': 2.0, 'main/sparse_loss': 1.0},
        {'iteration': 2, 'main/loss': 1.0, 'main/sparse_loss': 1.0},
        {'iteration': 2, 'val/main/miou': 0.25}]))
    assert runner.ended(str(run_dir), 'retrain') == {'failed': None,
                                                     'time_s': 1.0}
    assert runner.ended(str(run_dir), 'search') is None       # no arch.yaml
    log = runner.read_log(str(run_dir), 'search')
    assert log['miou'] == 0.25 and log['iterations'] == 2
    assert log['loss']['relative_change'] == pytest.approx(-0.5)
    assert log['sparse_loss']['levelled'] is True
    assert 'sparse_loss' not in runner.read_log(str(run_dir), 'retrain')
    assert runner.describe('grid', dict(time_s=1.0, failed=None, **log)) == \
        '    1.0 s, holdout mIoU 25.00, loss -50.0% over the last 1 log ' \
        'entries (not levelled)'
    # no workers on one job: prefetch leaves every training to train()
    runner.start_workers()
    assert runner.pool is None
    runner.prefetch([{'rel': 'run', 'extra': []}])
    runner.stop_workers()
