"""How near to binary the connection weights of a search get.

Searches of one config with different options run side by side, then each
search's ``connection_weights.npz`` is summarised: weights exactly 0, in
(0, sigma), undecided (in [0.05, 0.95)), near 1 (>= 0.95), the largest
dropped and smallest kept weight (the paper's Fig. 4: 1.342e-4 vs
2.666e-2), the connections kept and the search model's final val mIoU.
``eval/search_weights.py`` is its command line.
"""

import json
import os

from sparsemask.connectivity import Connectivity
from sparsemask.extensions import load_connection_weights
from sparsemask.training.config import ConfigError
from sparsemask.training.config import load_config
from sparsemask.training.train_in_dir import train_in_dir
from sparsemask.training.training_pool import TrainingPool
from sparsemask.utils.atomic_write import atomic_write_text
from sparsemask.utils.statistics import last_logged
from sparsemask.utils.statistics import weight_summary

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
    """Parses one run of the command line.

    Args:
        text (str): ``name=override,override,...`` (``name=``: the config
            as it is).

    Returns:
        tuple: ``(name, [override, ...])``.

    Raises:
        ConfigError: ``text`` has no name or no ``=``.

    """
    name, sep, rest = text.partition('=')
    if not sep or not name:
        raise ConfigError('--runs {!r}: expected name=section.key=value,... '
                          '(or name= for the config as it is)'.format(text))
    return name, [o for o in rest.split(',') if o]


def summarise(run_dir, config):
    """The connection weights, connections and final val mIoU of a search.

    Args:
        run_dir (str): the search's directory.
        config (dict): its config.

    Returns:
        dict: :func:`~sparsemask.utils.statistics.weight_summary`'s, with
        ``val_miou``, ``arch`` (arch.yaml's text), ``connections`` and
        ``iterations``.

    """
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


def format_table(config_path, rows, repo_root=None):
    """The markdown table of the searches.

    Args:
        config_path (str): the config of the searches.
        rows (list of dict): the searches that did not fail (``name``,
            ``overrides``, ``time_s`` and :func:`summarise`'s).
        repo_root (str): the config is shown relative to it (default: the
            current directory).

    Returns:
        str: markdown.

    """
    lines = [
        '# Connection weights after a search: how near to 0/1',
        '',
        'config: `{}`; {} weights each; sigma = {}; undecided: in '
        '[0.05, 0.95). The paper\'s Fig. 4: largest dropped 1.342e-4, '
        'smallest kept 2.666e-2. val mIoU: the search model\'s (the full '
        'FDN with its weights) at the end, one seed.'.format(
            os.path.relpath(config_path, repo_root),
            rows[0]['n'] if rows else '-',
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


def run_search_weights(config_path, out, runs=None, jobs=1, repo_root=None):
    """Runs the searches that have not run yet, then writes
    ``OUT/search_weights.md`` and ``OUT/search_weights.json`` and prints
    the table.

    Args:
        config_path (str): the config of every search.
        out (str): the output directory; each run searches in
            ``OUT/<name>``, and one that finished there is not run again.
        runs (list of tuple): ``(name, overrides)`` each (default:
            :data:`DEFAULT_RUNS`).
        jobs (int): searches at a time, each in a worker process with one
            thread (1: in this process).
        repo_root (str): the table shows the config relative to it.

    Returns:
        list of dict: each run's row: ``name``, ``overrides``, ``sigma``,
        ``time_s``, ``failed`` and, unless it failed, :func:`summarise`'s.

    Raises:
        ConfigError: ``jobs`` < 1, or a run's directory holds a search of
            another configuration.

    """
    runs = list(runs) if runs else list(DEFAULT_RUNS)
    if jobs < 1:
        raise ConfigError('--jobs {}: expected a positive number'.format(
            jobs))
    todo = []
    configs = {}
    for name, overrides in runs:
        config = load_config(config_path, ['log.progress_bar=false',
                                           'log.plots=false'] + overrides)
        run_dir = os.path.join(out, name)
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
        _search(todo, jobs)
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
    text = format_table(config_path, [r for r in rows if not r['failed']],
                        repo_root)
    atomic_write_text(os.path.join(out, 'search_weights.md'), text)
    atomic_write_text(os.path.join(out, 'search_weights.json'),
                      json.dumps({'config': config_path, 'rows': rows},
                                 indent=2) + '\n')
    print(text)
    for r in rows:
        if r['failed']:
            print('{}: failed: {}'.format(r['name'], r['failed']))
    return rows


def _search(todo, jobs):
    print('running {} searches, {} at a time'.format(len(todo), jobs),
          flush=True)
    if jobs > 1:
        with TrainingPool(jobs) as pool:
            for i, status in pool.run(todo):
                print('  {} done in {:.0f} s'.format(
                    os.path.basename(todo[i][2]), status['time_s']),
                    flush=True)
    else:
        for config, mode, run_dir in todo:
            train_in_dir(config, mode, run_dir)
