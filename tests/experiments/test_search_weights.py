"""The study of the connection weights a search ends with
(:mod:`sparsemask.experiments.search_weights`); ``eval/search_weights.py``
is run in ``tests/eval/test_search_weights.py``."""

import pytest

from sparsemask.experiments import DEFAULT_RUNS
from sparsemask.experiments import format_table
from sparsemask.experiments import parse_run
from sparsemask.experiments import run_search_weights
from sparsemask.training import ConfigError


def test_parse_run():
    assert parse_run('demo=') == ('demo', [])
    assert parse_run('lam=train.lam=0.12,train.iterations=5') == (
        'lam', ['train.lam=0.12', 'train.iterations=5'])
    for bad in ('demo', '=train.lam=1'):
        with pytest.raises(ConfigError, match='expected name='):
            parse_run(bad)
    assert len(dict(DEFAULT_RUNS)) == len(DEFAULT_RUNS) == 8


def test_format_table_by_hand():
    row = {'name': 'base', 'overrides': ['train.lam=1'], 'n': 90,
           'sigma': 0.001, 'zero': 40, 'below_sigma': 2, 'middle': 3,
           'high': 45, 'largest_dropped': 1.342e-4, 'smallest_kept': 0.02666,
           'connections': 48, 'val_miou': 0.5, 'time_s': 12.4}
    text = format_table('/repo/configs/demo.yaml', [row], '/repo')
    assert 'config: `configs/demo.yaml`; 90 weights each; sigma = 0.001;' \
        in text
    assert '| base | `train.lam=1` | 40 | 2 | 3 | 45 | 0.000134 | 0.0267 | ' \
        '48 | 0.5 | 12 |' in text
    text = format_table('/repo/configs/demo.yaml', [], '/repo')
    assert '; - weights each; sigma = -;' in text


def test_jobs_must_be_positive(tmp_path):
    with pytest.raises(ConfigError, match='--jobs 0'):
        run_search_weights('configs/demo.yaml', str(tmp_path), jobs=0)
