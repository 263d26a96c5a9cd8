"""Prunes a finished (or running) search offline (paper Sec. 3.3).

Reads the connection weights of a search — the newest snapshot in its
output directory (by iteration), its ``connection_weights.npz``, or a given
snapshot, read with the ``config.yaml`` beside it — and
writes ``arch.yaml``, ``connection_weights.npz`` and the heatmap
``connection_weights.png`` into ``--out``. Use it to try another threshold
or the authors' stage merges without searching again. A search with
``train.search_loss: topk`` is pruned as it searched: each stage keeps its
``train.topk`` largest weights (``train.sigma`` does not apply).

Examples::

    python train/prune.py --search result/demo_search --out result/sigma0.01 \\
        train.sigma=0.01
    python train/prune.py --search result/demo_search/snapshot_iter_100 \\
        --out result/at100
"""

import argparse
import os
import sys

from sparsemask.extensions import write_pruning_result
from sparsemask.training import build_model
from sparsemask.training import ConfigError
from sparsemask.training import load_config
from sparsemask.training.build_model import search_topk
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.training.read_connection_weights import \
    read_connection_weights
from sparsemask.training.snapshots import check_snapshot
from sparsemask.training.snapshots import list_snapshots
from sparsemask.training.snapshots import load_snapshot
from sparsemask.utils.one_line import one_line


def _weights_from_snapshot(path, config, config_path):
    prefix = 'updater/model:main/predictor/'
    arrays = check_snapshot(path)
    key = prefix + 'head/W'
    if key not in arrays:
        raise ConfigError('{}: not a snapshot of train/search.py or '
                          'train/retrain.py (no {})'.format(path, key))
    n_class = arrays[key].shape[0]
    model = build_model(config['model'], 'search', n_class)
    try:
        load_snapshot(path, model, arrays=arrays, prefix=prefix)
    except (KeyError, ValueError) as e:
        raise ConfigError(
            '{}: not a search snapshot of the configuration {} ({}); is it '
            'a retraining, or was the search run with another config? Pass '
            'it with --config'.format(
                path, config_path or '(the defaults)',
                one_line(e)))
    return model.connection_weights(), model.connectivity.n_stages


def _config_beside(source):
    # the config.yaml a search wrote into its output directory
    directory = source if os.path.isdir(source) else os.path.dirname(
        os.path.abspath(source))
    path = os.path.join(directory, 'config.yaml')
    return path if os.path.isfile(path) else None


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--search', required=True,
                        help='a search output directory, a snapshot, or a '
                        'connection_weights.npz')
    parser.add_argument('--config', default=None,
                        help='the search config (default: the config.yaml '
                        'of the search directory, or beside the snapshot)')
    parser.add_argument('--out', default=None,
                        help='output directory (default: pruned/ beside '
                        'the source)')
    parser.add_argument('--debug', action='store_true',
                        help='print the traceback of every error')
    parser.add_argument('overrides', nargs='*', metavar='section.key=value',
                        help='e.g. train.sigma=0.01 train.merge=true')
    args = parser.parse_intermixed_args(argv)
    try:
        _prune(args)
    except Exception as e:
        sys.exit(report_failure(e, debug=debug_requested(args.debug)))


def _prune(args):
    source = args.search
    config_path = args.config
    if config_path is None:
        config_path = _config_beside(source)
    config = load_config(config_path, args.overrides)
    if os.path.isdir(source):
        snapshots = list_snapshots(source)
        if snapshots:
            source = snapshots[-1][1]
        elif os.path.isfile(os.path.join(source,
                                         'connection_weights.npz')):
            source = os.path.join(source, 'connection_weights.npz')
        else:
            raise ConfigError('{} holds neither snapshots nor '
                              'connection_weights.npz'.format(source))
    if not os.path.isfile(source):
        raise ConfigError('{} does not exist'.format(source))
    if source.endswith('.npz') and 'connection_weights' in source:
        weights = read_connection_weights(source)
        n_stages = max(weights)
    else:
        weights, n_stages = _weights_from_snapshot(source, config,
                                                   config_path)
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(source)),
                                   'pruned')
    tc = config['train']
    topk = search_topk(tc)
    connectivity = write_pruning_result(out, weights, n_stages,
                                        sigma=tc['sigma'], merge=tc['merge'],
                                        topk=topk)
    print('pruned {} with {}: {} of {} connections kept; '
          'architecture in {}'.format(
              source, 'sigma={}'.format(tc['sigma']) if topk is None else
              'the top {} of each stage'.format(topk),
              connectivity.n_connections,
              n_stages * (n_stages + 1), os.path.join(out, 'arch.yaml')))


if __name__ == '__main__':
    main()
