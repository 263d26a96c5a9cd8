"""The options of a Table 1 run and their checks
(:mod:`sparsemask.experiments.table1_options`)."""

import os

import pytest

from sparsemask.experiments import QUICK_OVERRIDES
from sparsemask.experiments import ROW_KEYS
from sparsemask.experiments import table1_options
from sparsemask.experiments.table1_options import DEFAULTS
from sparsemask.training import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'configs', 'table1_synthetic.yaml')


def _quick(**options):
    return table1_options(CONFIG, 'out', quick=True, **options)


def test_retrain_seeds_must_differ_from_search_seeds():
    with pytest.raises(ConfigError, match='share 1'):
        _quick(seeds=[1, 5, 6])
    with pytest.raises(ConfigError, match='at least 3'):
        _quick(seeds=[5, 6])
    with pytest.raises(ConfigError, match='stability'):
        _quick(search_seeds=[0, 1])
    args = _quick(search_seeds=[0], stability=[])
    assert args.stability == [] and args.stability_seeds == []


def test_defaults_and_the_quick_protocol():
    args = _quick(jobs=1)
    assert args.rows == list(ROW_KEYS)
    assert args.seeds == [10, 11, 12] and args.search_seeds == [0, 1, 2]
    assert args.lr_grid == [0.003, 0.01] and args.holdout == 4
    assert args.bench_repeat == 1 and args.bench_size == '32'
    assert args.stability_seeds == [] and args.grid_seeds == 1
    assert args.other_seeds == 3 and args.pilot_gate is False
    assert args.argv == [] and args.config == CONFIG and args.out == 'out'
    args = table1_options(CONFIG, 'out', jobs=1)
    assert args.lr_grid == [0.1, 0.3] and args.holdout is None
    assert args.bench_repeat == 5 and args.bench_size is None
    # 5 seeds for the main rows, 3 for the others, 2 for the grid
    assert args.seeds == [10, 11, 12, 13, 14] and args.other_seeds == 3
    assert args.grid_seeds == 2 and args.pilot_gate is True
    # the defaults are not shared between calls
    args.rows.append('x')
    assert DEFAULTS['rows'] == list(ROW_KEYS)
    assert 'dataset.name=synthetic' in QUICK_OVERRIDES


def test_options_out_of_range_are_refused():
    for options, message in [
            (dict(jobs=0), '--jobs 0'),
            (dict(seeds=[10, 10, 11, 12]), 'listed twice'),
            (dict(lr_grid=[0.1, 0.1]), '--lr-grid'),
            (dict(lr_grid=[0.0, 0.1]), '--lr-grid'),
            (dict(holdout=0), '--holdout'),
            (dict(level_window=0.6), '--level-window'),
            (dict(bench_batch=0), '--bench-batch'),
            (dict(other_seeds=0), '--other-seeds 0'),
            (dict(grid_seeds=4), '--grid-seeds 4')]:
        with pytest.raises(ConfigError, match=message):
            _quick(**options)
    with pytest.raises(TypeError, match='unknown options: row'):
        _quick(row=['unet'])
