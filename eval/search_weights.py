"""How near to binary the connection weights of a search get.

Runs searches of one config with different options (``--runs``, each
``name=override,override,...``) side by side (``--jobs``, one thread per
worker), then reads each search's ``connection_weights.npz`` and prints a
table: weights exactly 0, in (0, sigma), undecided (in [0.05, 0.95)), near
1 (>= 0.95), the largest dropped and smallest kept weight (the paper's
Fig. 4: 1.342e-4 vs 2.666e-2), the connections kept and the search model's
final val mIoU. A search that finished in ``--out`` is not run again.

Writes ``OUT/search_weights.md`` and ``OUT/search_weights.json``.

Usage::

    python eval/search_weights.py                  # the default runs
    python eval/search_weights.py --runs demo= lam012=train.lam=0.12
"""

import argparse
import json
import os
import sys

from sparsemask.connectivity import Connectivity
from sparsemask.extensions import load_connection_weights
from sparsemask.training import ConfigError
from sparsemask.training import load_config
from sparsemask.training.report_failure import report_failure
from sparsemask.training.train_in_dir import train_in_dir
from sparsemask.training.training_pool import available_cores
from sparsemask.training.training_pool import TrainingPool
from sparsemask.utils import atomic_write_text
from sparsemask.utils.statistics import last_logged
from sparsemask.utils.statistics import weight_summary

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: the search of configs/demo.yaml before it got its own learning rate for
#: the connection weights (and no weight decay on them)
_SHARED_LR = ['train.lr_connection=null', 'train.connection_weight_decay=true']

#: name -> overrides of the default runs (each names the two options above,
#: so that a row means the same whatever the config says of them)
DEFAULT_RUNS = (
    ('shared_lr', _SHARED_LR),
    ('nowd', ['train.lr_connection=null',
              'train.connection_weight_decay=false']),
    ('lam012', _SHARED_LR + ['train.lam=0.12']),
    ('lam02', _SHARED_LR + ['train.lam=0.2']),
    ('it600', _SHARED_LR + ['train.iterations=600']),
    ('authors', _SHARED_LR + ['model.weight_scale=2',
                              'model.weight_noise=0.05']),
    ('lrw', ['train.lr_connection=0.5', 'train.connection_weight_decay=true']),
    ('lrw_nowd', ['train.lr_connection=0.5',
                  'train.connection_weight_decay=false']),
)


def parse_run(text):
    """``name=override,override`` -> ``(name, [override, ...])``."""
    name, sep, rest = text.partition('=')
    if not sep or not name:
        raise ConfigError('--runs {!r}: expected name=section.key=value,... '
                          '(or name= for the config as it is)'.format(text))
    return name, [o for o in rest.split(',') if o]


def summarise(run_dir, config):
    """The weight summary, connections and final val mIoU of a search."""
    weights = load_connection_weights(os.path.join(run_dir,
                                                   'connection_weights.npz'))
    summary = weight_summary(weights, config['train']['sigma'])
    with open(os.path.join(run_dir, 'log')) as f:
        log = json.load(f)
    summary['val_miou'] = last_logged(log, 'val/main/miou')
    arch = Connectivity.from_yaml(os.path.join(run_dir, 'arch.yaml'))
    summary['arch'] = arch.to_yaml()
    summary['connections'] = arch.n_connections
    summary['iterations'] = config['train']['iterations']
    return summary


def _fmt(x):
    return '-' if x is None else '{:.3g}'.format(x)


def format_table(config_path, rows):
    lines = [
        '# Connection weights after a search: how near to 0/1',
        '',
        'config: `{}`; {} weights each; sigma = {}; undecided: in '
        '[0.05, 0.95). The paper\'s Fig. 4: largest dropped 1.342e-4, '
        'smallest kept 2.666e-2. val mIoU: the search model\'s (the full '
        'FDN with its weights) at the end, one seed.'.format(
            os.path.relpath(config_path, ROOT), rows[0]['n'] if rows else '-',
            rows[0]['sigma'] if rows else '-'),
        '',
        '| run | overrides | exactly 0 | (0, sigma) | undecided | >= 0.95 '
        '| largest dropped | smallest kept | connections | val mIoU | '
        'search s |',
        '|---|---|---|---|---|---|---|---|---|---|---|',
    ]
    for r in rows:
        lines.append('| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | '
                     '{:.0f} |'.format(
                         r['name'], ' '.join('`{}`'.format(o)
                                             for o in r['overrides']) or '-',
                         r['zero'], r['below_sigma'], r['middle'], r['high'],
                         _fmt(r['largest_dropped']), _fmt(r['smallest_kept']),
                         r['connections'], _fmt(r['val_miou']),
                         r['time_s'] or 0))
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default=os.path.join(ROOT, 'configs',
                                                         'demo.yaml'))
    parser.add_argument('--out', default=os.path.join(ROOT, 'result',
                                                      'search_weights'))
    parser.add_argument('--runs', nargs='+', default=None,
                        help='name=override,override ... (default: {})'.format(
                            ' '.join(n for n, _ in DEFAULT_RUNS)))
    parser.add_argument('--jobs', type=int, default=available_cores(),
                        help='searches at a time, one thread each '
                        '(default: %(default)s)')
    args = parser.parse_args(argv)
    try:
        run(args)
    except Exception as e:
        sys.exit(report_failure(e))


def run(args):
    runs = [parse_run(r) for r in args.runs] if args.runs else \
        list(DEFAULT_RUNS)
    if args.jobs < 1:
        raise ConfigError('--jobs {}: expected a positive number'.format(
            args.jobs))
    todo = []
    configs = {}
    for name, overrides in runs:
        config = load_config(args.config, ['log.progress_bar=false',
                                           'log.plots=false'] + overrides)
        run_dir = os.path.join(args.out, name)
        configs[name] = (config, run_dir)
        saved = os.path.join(run_dir, 'config.yaml')
        if os.path.isfile(saved) and load_config(saved) != config:
            raise ConfigError(
                '{} holds a search with another configuration than run {} '
                '({}): delete it or choose another --out'.format(
                    run_dir, name, ' '.join(overrides) or 'no overrides'))
        if not os.path.isfile(os.path.join(run_dir, 'train_status.json')):
            todo.append((config, 'search', run_dir))
    if todo:
        print('running {} searches, {} at a time'.format(len(todo),
                                                         args.jobs),
              flush=True)
        if args.jobs > 1:
            with TrainingPool(args.jobs) as pool:
                for i, status in pool.run(todo):
                    print('  {} done in {:.0f} s'.format(
                        os.path.basename(todo[i][2]), status['time_s']),
                        flush=True)
        else:
            for config, mode, run_dir in todo:
                train_in_dir(config, mode, run_dir)
    rows = []
    for name, overrides in runs:
        config, run_dir = configs[name]
        with open(os.path.join(run_dir, 'train_status.json')) as f:
            status = json.load(f)
        row = dict(name=name, overrides=overrides,
                   sigma=config['train']['sigma'], time_s=status['time_s'],
                   failed=status['failed'])
        if not status['failed']:
            row.update(summarise(run_dir, config))
        rows.append(row)
    text = format_table(args.config, [r for r in rows if not r['failed']])
    atomic_write_text(os.path.join(args.out, 'search_weights.md'), text)
    atomic_write_text(os.path.join(args.out, 'search_weights.json'),
                      json.dumps({'config': args.config, 'rows': rows},
                                 indent=2) + '\n')
    print(text)
    for r in rows:
        if r['failed']:
            print('{}: failed: {}'.format(r['name'], r['failed']))
    return rows


if __name__ == '__main__':
    main()
