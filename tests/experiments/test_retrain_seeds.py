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
        os.path.join('runs', 'sparse_search0', 'lr0.01_s10'),
        os.path.join('runs', 'sparse_search0', 'lr0.01_s11')]
    assert specs[1]['extra'] == ['model.arch=/out/search/sparse_s0/arch.yaml',
                                 'train.lr_decoder=0.01', 'train.seed=11']
    assert all(s['kind'] == 'seed' and s['lr'] == 0.01 for s in specs)
    # another architecture at the row's learning rate
    other = retrain_specs(ROW, [10], kind='stability',
                          arch_id='sparse_search1', arch_file='a1.yaml',
                          overrides=lambda seed: ['model.arch=a1.yaml'])
    assert other[0]['rel'] == os.path.join('runs', 'sparse_search1',
                                           'lr0.01_s10')
    assert other[0]['arch_file'] == 'a1.yaml'
    assert other[0]['extra'][0] == 'model.arch=a1.yaml'
    # evaluated on another split
    test = retrain_specs(ROW, [10], extra=['dataset.val_split=test'])
    assert test[0]['extra'][-1] == 'dataset.val_split=test'


def test_a_searched_row_takes_its_searches_in_turn():
    row = dict(ROW, archs=[
        {'search_seed': 0, 'arch_id': 'sparse_search0',
         'arch_file': 'a0.yaml'},
        {'search_seed': 1, 'arch_id': 'sparse_search1',
         'arch_file': 'a1.yaml'},
        {'search_seed': 2, 'arch_id': 'sparse_search2',
         'arch_file': 'a2.yaml'}])
    specs = retrain_specs(row, [10, 11, 12, 13, 14])
    assert [s['search_seed'] for s in specs] == [0, 1, 2, 0, 1]
    assert [s['extra'][0] for s in specs] == [
        'model.arch=a{}.yaml'.format(i) for i in (0, 1, 2, 0, 1)]
    assert specs[4]['rel'] == os.path.join('runs', 'sparse_search1',
                                           'lr0.01_s14')


def _run(seed, miou, change, levelled, cues=None, iou=None):
    spec = {'seed': seed, 'rel': 's{}'.format(seed)}
    # the log's mIoU (the tuning split's) is not the reported one
    return seed_result(spec, {'miou': -1.0, 'eval_miou': miou,
                              'failed': None, 'time_s': 1.0,
                              'loss': {'relative_change': change,
                                       'levelled': levelled},
                              'cues': cues, 'iou': iou})


def test_the_cue_and_class_means_over_the_seeds():
    row = {'runs': [
        _run(10, 0.5, None, None, cues={'foreground': 0.9, 'scene': 0.5,
                                        'chance': {'scene': 0.5}},
             iou={'background': 0.9, 'a': 0.2}),
        _run(11, 0.7, None, None, cues={'foreground': 0.7, 'scene': 1.0,
                                        'chance': {'scene': 0.5}},
             iou={'background': 0.8, 'a': None}),
        _run(12, None, None, None, cues={'foreground': 0.0})]}
    summarise_runs(row, threshold=0.05)
    assert row['cues_mean'] == pytest.approx({'foreground': 0.8,
                                              'scene': 0.75})
    assert row['iou_mean'] == pytest.approx({'background': 0.85, 'a': 0.2})


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
    # Student's t interval of the mean: 0.6 +- t(0.975, 2) 0.1 / sqrt(3)
    assert row['interval']['half_width'] == pytest.approx(
        4.302653 * 0.1 / 3 ** 0.5, rel=1e-5)
    # a failed seed has no mIoU
    row = {'runs': [_run(10, None, None, None)]}
    summarise_runs(row, threshold=0.05)
    assert (row['miou_mean'], row['miou_std'], row['n']) == (None, None, 0)
    assert row['levelled']['max_abs_change'] is None
