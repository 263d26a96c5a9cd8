"""The report of Table 1 (:mod:`sparsemask.experiments.table1_report`)."""

import json
import math

import numpy
import pytest

from sparsemask.experiments import format_report
from sparsemask.experiments import json_default
from sparsemask.experiments.table1_report import format_change
from sparsemask.experiments.table1_report import format_levelled
from sparsemask.experiments.table1_report import format_mean
from sparsemask.experiments.table1_report import format_miou
from sparsemask.experiments.table1_report import format_params


def test_cells():
    assert format_miou(None) == '-' and format_miou(0.638) == '63.80'
    assert format_change(None) == 'change -'
    assert format_change({'relative_change': -0.012, 'window': 2,
                          'levelled': True}) == \
        '-1.2% over the last 2 log entries'
    assert format_change({'relative_change': 0.1, 'window': 3,
                          'levelled': False}) == \
        '+10.0% over the last 3 log entries (not levelled)'
    assert format_mean({'n': 0}) == '-'
    assert format_mean({'n': 3, 'miou_mean': 0.5, 'miou_std': 0.01}) == \
        '50.00 ± 1.00 (3)'
    assert format_mean({'n': 1, 'miou_mean': 0.5, 'miou_std': None}) == \
        '50.00 (1)'
    p = {'paper_format': '2.22+0.56M', 'encoder': 2220000,
         'decoder': 560000}
    assert format_params({}) == '-'
    assert format_params({'parameters': p}) == \
        '2.22+0.56M (2,220,000+560,000)'
    assert format_params({'parameters': p, 'parameters_per_seed': [
        p, dict(p, decoder=570000)]}) == \
        '2.22+0.56M (seeds: 2,220,000-2,220,000 + 560,000-570,000)'
    assert format_levelled({}) == '-'
    assert format_levelled({'levelled': {'levelled': 3, 'of': 3,
                                         'max_abs_change': 0.012}}) == \
        'yes 3/3 (max 1.2%)'
    assert format_levelled({'levelled': {'levelled': 2, 'of': 3,
                                         'max_abs_change': None}}) == \
        'no 2/3'


def test_json_default():
    text = json.dumps({'a': numpy.int64(3), 'b': numpy.float32(0.5),
                       'c': {'y', 'x'}}, default=json_default)
    assert json.loads(text) == {'a': 3, 'b': 0.5, 'c': ['x', 'y']}
    assert json_default(math.nan) is None
    with pytest.raises(TypeError):
        json_default(object())


def _result(config):
    return {
        'config': config, 'overrides': ['train.iterations=4'],
        'protocol': {'seeds': [10, 11, 12], 'search_seeds': [0, 1, 2],
                     'lr_grid': [0.01, 0.1], 'holdout': 4, 'n_class': 5,
                     'n_train': 36, 'n_val': 4, 'level_window': 0.2,
                     'level_threshold': 0.05, 'jobs': 2},
        'benchmark': None,
        'rows': [{'label': 'FCN', 'note': 'cannot be built: no'},
                 {'label': 'U-Net', 'note': None, 'paper_miou': 64.72,
                  'n': 3, 'miou_mean': 0.5, 'miou_std': 0.01,
                  'tuned_lr': 0.1, 'connections': 18,
                  'runs': [{'seed': 10, 'failed': None, 'val_miou': 0.5},
                           {'seed': 11, 'failed': 'diverged',
                            'val_miou': None}],
                  'grid': [{'lr': 0.01, 'failed': 'diverged',
                            'holdout_miou': None},
                           {'lr': 0.1, 'failed': None,
                            'holdout_miou': 0.4}]}],
        'searches': [], 'stability': {}, 'warnings': ['look'],
        'timing': {'trainings': 5, 'training_s_all': 10.0, 'ran': 5,
                   'training_s': 10.0, 'cached': 0, 'elapsed_s': 12.0},
        'date': '2024-01-01T00:00:00',
    }


def test_report_by_hand():
    md = format_report(_result('/repo/configs/t.yaml'), '/repo')
    assert 'config: `configs/t.yaml` + train.iterations=4; 5 classes, 36 ' \
        'training / 4 val examples.' in md
    assert '| FCN | not run: cannot be built: no | | | | | | | |' in md
    assert '| U-Net | 50.00 ± 1.00 (3) | - | - | - | 18 | 0.1 | - | ' \
        '64.72 |' in md
    assert '| U-Net | 50.00 | FAILED | - |' in md          # per seed
    assert '| U-Net | diverged | 40.00 | 0.1 |' in md       # grid
    assert '## Warnings\n\n- look' in md
    assert md.endswith('run now: 5 (10 s, 2 at a time), reused: 0; elapsed '
                       '12 s; 2024-01-01T00:00:00.\n')
    # the interval, the paired comparisons, the cues and the test split
    result = _result('/repo/configs/t.yaml')
    result['protocol'].update(tune_split='val', eval_split='test',
                              n_test=8, grid_seeds=[10, 11],
                              main_rows=['unet'], other_seeds=2)
    unet = result['rows'][1]
    unet['interval'] = {'low': 0.48, 'high': 0.52, 'half_width': 0.02}
    unet['cues_mean'] = {'foreground': 0.9, 'scene': 0.75}
    unet['iou_mean'] = {'background': 0.95, 'a': 0.5}
    unet['runs'][0]['search_seed'] = 1
    result['comparisons'] = [{
        'label': 'U-Net', 'seeds': [10, 11], 'mean': 0.031, 'low': 0.011,
        'high': 0.051, 'half_width': 0.02, 'wins': 2, 'losses': 0,
        'separated': True}]
    md = format_report(result, '/repo')
    assert '36 training / 4 val / 8 test examples' in md
    assert 'final test mIoU' in md and 'never on test' in md
    assert 'on the val split (4 examples) over seeds 10 11' in md
    assert '| U-Net | 50.00 ± 1.00 (3) | [48.00, 52.00] (±2.00) |' in md
    assert '| U-Net | 2 | +3.10 | [1.10, 5.10] (±2.00) | 2/0 | yes |' \
        .replace('| 2 |', '| 10 11 |') in md
    assert '| U-Net | 0.900 | 0.750 | 95.00 | 50.00 |' in md
    assert '| U-Net | 50.00 (search 1) | FAILED | - |' in md
    # a config elsewhere is shown as it is
    assert 'config: `/elsewhere/t.yaml`' in format_report(
        _result('/elsewhere/t.yaml'), '/repo')
    assert 'config: `/repo/configs/t.yaml`' in format_report(
        _result('/repo/configs/t.yaml'))
