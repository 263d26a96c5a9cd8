"""The learning-rate grid of a row and its choice
(:mod:`sparsemask.experiments.learning_rate_grid`)."""

import os

from sparsemask.experiments import choose_lr
from sparsemask.experiments import grid_entry
from sparsemask.experiments import grid_specs
from sparsemask.experiments import lr_name

ROW = {'key': 'unet', 'arch_id': 'unet', 'arch_file': None,
       'overrides': lambda seed: ['model.arch=unet']}


def test_grid_specs_train_on_the_holdout():
    specs = grid_specs(ROW, [0.003, 0.01], holdout=4, seed=10)
    assert [s['rel'] for s in specs] == [
        os.path.join('grid', 'unet', 'lr0.003'),
        os.path.join('grid', 'unet', 'lr0.01')]
    assert specs[0]['extra'] == ['model.arch=unet', 'dataset.holdout=4',
                                 'train.lr_decoder=0.003', 'train.seed=10']
    assert all(s['kind'] == 'grid' and s['row'] == 'unet' and
               s['seed'] == 10 and s['arch_file'] is None for s in specs)
    assert lr_name(0.1) == 'lr0.1' and lr_name(1e-4) == 'lr0.0001'


def _entry(lr, miou, failed=None):
    spec = {'lr': lr, 'rel': lr_name(lr)}
    return grid_entry(spec, {'miou': miou, 'failed': failed, 'loss': None})


def test_the_first_of_the_best_is_chosen_and_a_failure_never():
    assert choose_lr([_entry(0.01, 0.3), _entry(0.03, 0.5),
                      _entry(0.1, 0.5)]) == 0.03
    assert choose_lr([_entry(0.01, 0.3), _entry(0.03, None, 'diverged')]) \
        == 0.01
    assert choose_lr([_entry(0.01, None, 'diverged')]) is None
    assert _entry(0.01, 0.3) == {'lr': 0.01, 'holdout_miou': 0.3,
                                 'failed': None, 'dir': 'lr0.01',
                                 'loss': None}
