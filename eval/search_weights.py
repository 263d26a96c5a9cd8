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
import os
import sys

from sparsemask.experiments import DEFAULT_RUNS
from sparsemask.experiments import parse_run
from sparsemask.experiments import run_search_weights
from sparsemask.training.report_failure import report_failure
from sparsemask.training.training_pool import available_cores

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
        runs = [parse_run(r) for r in args.runs] if args.runs else None
        run_search_weights(args.config, args.out, runs, args.jobs,
                           repo_root=ROOT)
    except Exception as e:
        sys.exit(report_failure(e))


if __name__ == '__main__':
    main()
