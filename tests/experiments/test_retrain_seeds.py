"""The retrainings of a row and their statistics
(:mod:`sparsemask.experiments.retrain_seeds`)."""

import os

import pytest

from sparsemask.experiments import retrain_specs
from sparsemask.experiments import seed_result
from sparsemask.experiments import summarise_runs

ROW = {'key': 'sparsemask', 'arch_id': 'sparse_search0',
       'arch_file': '/out/search/sparse_s0/arch.yaml', 'tuned_lr': 0.01,
       'overrides': lambda seed: ['model.arch=/out/search/sparse_s0/'
                                  'arch.yaml']}


def test_retrain_specs_at_the_tuned_lr():
    specs = retrain_specs(ROW, [10, 11])
    assert [s['rel'] for s in specs] == [
        os.path.join('retrain', 'sparse_search0', 'lr0.01_s10'),
        os.path.join('retrain', 'sparse_search0', 'lr0.01_s11')]
    assert specs[1]['extra'] == ['model.arch=/out/search/sparse_s0/arch.yaml',
                                 'train.lr_decoder=0.01', 'train.seed=11']
    assert all(s['kind'] == 'seed' and s['lr'] == 0.01 for s in specs)
    # another architecture at the row's learning rate
    other = retrain_specs(ROW, [10], kind='stability',
                          arch_id='sparse_search1', arch_file='a1.yaml',
                          overrides=lambda seed: ['model.arch=a1.yaml'])
    assert other[0]['rel'] == os.path.join('retrain', 'sparse_search1',
                                           'lr0.01_s10')
    assert other[0]['arch_file'] == 'a1.yaml'
    assert other[0]['extra'][0] == 'model.arch=a1.yaml'


def _run(seed, miou, change, levelled):
    spec = {'seed': seed, 'rel': 's{}'.format(seed)}
    return seed_result(spec, {'miou': miou, 'failed': None, 'time_s': 1.0,
                              'loss': {'relative_change': change,
                                       'levelled': levelled}})


def test_summarise_runs_by_hand():
    row = {'runs': [_run(10, 0.5, -0.01, True), _run(11, 0.7, -0.08, False),
                    _run(12, 0.6, None, None)]}
    summarise_runs(row, threshold=0.05)
    assert row['miou_mean'] == pytest.approx(0.6)
    assert row['miou_std'] == pytest.approx(0.1)      # sample std
    assert row['n'] == 3
    assert row['levelled'] == {'levelled': 1, 'of': 3,
                               'max_abs_change': pytest.approx(0.08),
                               'threshold': 0.05}
    # a failed seed has no mIoU
    row = {'runs': [_run(10, None, None, None)]}
    summarise_runs(row, threshold=0.05)
    assert (row['miou_mean'], row['miou_std'], row['n']) == (None, None, 0)
    assert row['levelled']['max_abs_change'] is None
