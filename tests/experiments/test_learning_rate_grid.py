"""The learning-rate grid of a row and its choice
(:mod:`sparsemask.experiments.learning_rate_grid`)."""

import os

import pytest

from sparsemask.experiments import choose_lr
from sparsemask.experiments import grid_entry
from sparsemask.experiments import grid_specs
from sparsemask.experiments import lr_name
from sparsemask.experiments import retrain_specs
from sparsemask.experiments.learning_rate_grid import grid_summary

ROW = {'key': 'unet', 'arch_id': 'unet', 'arch_file': None,
       'overrides': lambda seed: ['model.arch=unet']}


def test_grid_specs_train_on_the_holdout_with_each_seed():
    specs = grid_specs(ROW, [0.003, 0.01], holdout=4, seeds=[10, 11])
    assert [s['rel'] for s in specs] == [
        os.path.join('grid', 'unet', 'lr0.003_s10'),
        os.path.join('grid', 'unet', 'lr0.003_s11'),
        os.path.join('grid', 'unet', 'lr0.01_s10'),
        os.path.join('grid', 'unet', 'lr0.01_s11')]
    assert specs[1]['extra'] == ['model.arch=unet', 'train.lr_decoder=0.003',
                                 'train.seed=11', 'dataset.holdout=4']
    assert all(s['kind'] == 'grid' and s['row'] == 'unet' and
               s['arch_file'] is None for s in specs)
    assert [s['seed'] for s in specs] == [10, 11, 10, 11]
    assert lr_name(0.1) == 'lr0.1' and lr_name(1e-4) == 'lr0.0001'
    # tuned on the val split: no holdout
    val = grid_specs(ROW, [0.01], holdout=None, seeds=[10])
    assert not any('holdout' in e for e in val[0]['extra'])


def test_a_searched_row_takes_its_searches_in_turn():
    row = {'key': 'sparsemask', 'arch_id': 'sparse_search0',
           'arch_file': 'a0.yaml', 'overrides': None,
           'archs': [{'search_seed': 0, 'arch_id': 'sparse_search0',
                      'arch_file': 'a0.yaml'},
                     {'search_seed': 1, 'arch_id': 'sparse_search1',
                      'arch_file': 'a1.yaml'}]}
    specs = grid_specs(row, [0.01], holdout=None, seeds=[10, 11, 12])
    assert [(s['search_seed'], s['arch_file']) for s in specs] == [
        (0, 'a0.yaml'), (1, 'a1.yaml'), (0, 'a0.yaml')]
    assert specs[1]['extra'][0] == 'model.arch=a1.yaml'
    # without a holdout a grid training is its seed's retraining
    assert specs[1]['rel'] == os.path.join('runs', 'sparse_search1',
                                           'lr0.01_s11')
    row['tuned_lr'] = 0.01
    assert [s['rel'] for s in retrain_specs(row, [10, 11, 12])] == \
        [s['rel'] for s in specs]


def _entry(lr, miou, failed=None, seed=10):
    spec = {'lr': lr, 'seed': seed, 'rel': lr_name(lr)}
    return grid_entry(spec, {'miou': miou, 'failed': failed, 'loss': None})


def test_the_best_mean_is_chosen_and_a_failure_never():
    grid = grid_summary([_entry(0.01, 0.3), _entry(0.01, 0.5, seed=11),
                         _entry(0.03, 0.6), _entry(0.03, 0.1, seed=11),
                         _entry(0.1, 0.45), _entry(0.1, 0.45, seed=11)])
    assert [g['lr'] for g in grid] == [0.01, 0.03, 0.1]
    assert [g['holdout_miou'] for g in grid] == pytest.approx(
        [0.4, 0.35, 0.45])
    assert grid[0]['std'] == pytest.approx(0.1414213562)
    assert choose_lr(grid) == 0.1
    # the first of the best; a rate with one diverged seed is never chosen
    grid = grid_summary([_entry(0.01, 0.3), _entry(0.03, 0.5),
                         _entry(0.1, 0.5)])
    assert choose_lr(grid) == 0.03
    grid = grid_summary([_entry(0.01, 0.3), _entry(0.03, 0.9),
                         _entry(0.03, None, 'diverged', seed=11)])
    assert grid[1]['holdout_miou'] is None and grid[1]['failed']
    assert choose_lr(grid) == 0.01
    assert choose_lr(grid_summary([_entry(0.01, None, 'diverged')])) is None
    assert _entry(0.01, 0.3) == {'lr': 0.01, 'seed': 10,
                                 'holdout_miou': 0.3, 'failed': None,
                                 'dir': 'lr0.01', 'loss': None}
