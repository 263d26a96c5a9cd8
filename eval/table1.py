"""The paper's Table 1 (Sec. 4.2) in this code: decoders compared on one
protocol, each with its own tuned learning rate and several seeds.

Rows (``--rows``, in this order by default):

=================  ==========================================================
fcn                FCN (``model.arch=fcn``)
deeplabv3          DeepLabV3 (``model.arch=deeplabv3``)
unet               U-Net (``model.arch=unet``)
sparseacn          SparseACN (``model.arch=sparseacn``)
maskconnect        MaskConnect: search with ``train.search_loss=topk``, prune,
                   retrain the found architecture
l1                 FDN with L1: search with ``train.search_loss=l1``, prune,
                   retrain
full               the full FDN (``model.arch=full``)
full_small         the full FDN with fewer decoder channels, so that its
                   decoder (stages + head) has about as many parameters as
                   SparseMask's
random             random sparse decoders with as many connections as
                   SparseMask's (``model.arch=random``); seed ``s`` of the
                   row is ``model.random_seed=s``, so its seeds are 3
                   different random architectures
sparsemask         SparseMask: search with the sparse loss, prune, retrain
sparsemask_nobn    SparseMask without the per-connection BN in the search
                   (``model.connection_bn=false``), prune, retrain
=================  ==========================================================

The protocol:

0. The pilot gate (``--pilot`` runs it alone, in minutes): FCN and U-Net
   trained with the first 3 retrain seeds at the config's decoder
   learning rate and evaluated on the tuning split. The full run
   is refused (``--no-pilot-gate`` skips the gate) unless every FCN seed is
   above predicting background everywhere, every U-Net seed learns every
   cue of the benchmark (from its confusion matrix: background/object,
   texture and scene accuracies >= 0.9) and U-Net's standard deviation is
   under a quarter of its gap to FCN's.
1. The searches run on the training split with ``train.seed`` = each
   ``--search-seeds``. A searched row (SparseMask, L1, MaskConnect,
   SparseMask w/o BN) takes their architectures in turn over its seeds,
   so that the search's own variance is in the row; the rows made from a
   searched decoder's size (``full_small``, ``random``) use the first.
2. The decoder learning rate of each row is chosen from ``--lr-grid`` by
   training with the first ``--grid-seeds`` retrain seeds and reading the
   final mIoU on the tuning split: the val split of a data set with a test
   split (the benchmark), else the last ``--holdout`` examples of the
   training split (``dataset.holdout``). The largest mean over the seeds
   wins, the first of the grid on a tie; a rate with a diverged run is
   never chosen; the split the table reports is never read for it. The
   encoder's learning rate is the config's (fixed, not tuned:
   ``train.lr_encoder``, 10x below the decoder's for a pretrained encoder).
3. Each row is then retrained at its chosen learning rate on the whole
   training split: FCN, U-Net, the full FDN and SparseMask with each
   ``--seeds``, the other rows with the first ``--other-seeds``, and
   evaluated on the test split (val without one). With a test split a
   training is evaluated on both: its log has the val split's mIoU (the
   grid's) and its ``confusion.json`` the test split's (the table's), so
   the grid's trainings at the chosen rate are also the first seeds'
   retrainings. The table shows the mean +- the sample standard deviation
   of the final mIoU and the 95% interval of the mean (Student's t);
   SparseMask is compared with each row on the seeds both have (same seed:
   same decoder initialisation and data order), with the interval of the
   mean difference; the per-class IoU and the cue accuracies (from each
   training's confusion matrix) are averaged per row.
4. Search stability: for each search seed, the kept connections; how often
   each connection is kept; the Jaccard index of every pair of kept sets;
   and the mIoU of the row's trainings by the search they retrained
   (``--stability-seeds`` retrains each found architecture again).
5. Parameters are counted as the paper counts them (encoder+decoder,
   ``sparsemask.benchmarks.count_parameters``), images/s is the median of
   ``--bench-repeat`` test-phase forward passes of batch ``--bench-batch``
   at ``--bench-size`` (the data's size by default), all the rows' models
   taking turns (``sparsemask.benchmarks.median_times``).
6. Whether each training's loss has levelled off: the mean ``main/loss``
   over the last 20% (``--level-window``) of the logged values against the
   20% before them; ``levelled`` when the relative change is below
   ``--level-threshold``. This is reported, not enforced. With the poly
   schedule the learning rate is small at the end, so a level loss says
   the schedule ended, not that a longer one would not do better.

On the CPU the trainings of each step run ``--jobs`` at a time (default:
one per core), each in a worker process with one thread
(:class:`~sparsemask.training.training_pool.TrainingPool`): a training's
numbers then depend only on its config, not on ``--jobs``.

Every training has its own directory under ``--out`` (``search/``,
``runs/``; ``grid/`` for the trainings on less data with a holdout); one
that finished (``model.npz`` and ``log`` there, with the same
configuration) is not run again when the script is rerun, and one that was
interrupted is resumed from its newest snapshot. A directory that holds a
training with another configuration is an error (choose another ``--out``
or delete it). The table is printed and written to ``OUT/table1.md``;
everything (per-seed results, the grid, the stability study, the losses,
the timings) to ``OUT/table1.json``.

The default config, ``configs/table1_benchmark.yaml``, is the paper's
protocol scaled down to the synthetic benchmark
(:class:`~sparsemask.datasets.SyntheticBenchmarkDataset`, 96x96) and an
encoder pretrained on it (``model.pretrained_model: benchmark``, made by
``train/pretrain.py``), on 2 CPU cores (``--jobs 2``; about 85 s per
training, see ``docs/table1.md`` for the measured times);
``configs/table1_synthetic.yaml`` is the earlier table on the 64x64
synthetic set with a random encoder (its rows do not separate);
``--config configs/voc_mobilenetv2_retrain.yaml`` with the data
directories runs the paper's (``--gpu 0``).

Usage (overrides of every training go before options that take several
values)::

    python eval/table1.py
    python eval/table1.py --rows unet full sparsemask --seeds 10 11 12
    python eval/table1.py --quick --out /tmp/table1
    python eval/table1.py train.iterations=200 --rows unet sparsemask
    python eval/table1.py --config configs/voc_mobilenetv2_retrain.yaml \\
        --gpu 0 --out result/table1_voc dataset.voc_dir=... dataset.sbd_dir=...
"""

import argparse
import os
import sys

from sparsemask.experiments import check_options
from sparsemask.experiments import QUICK_OVERRIDES
from sparsemask.experiments import ROW_KEYS
from sparsemask.experiments import run_table1
from sparsemask.experiments import SEARCHES
from sparsemask.experiments.table1_options import DEFAULTS as D
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.training.training_pool import available_cores
from sparsemask.utils.reuse_freed_memory import reuse_freed_memory

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIG = os.path.join(ROOT, 'configs', 'table1_benchmark.yaml')
DEFAULT_OUT = os.path.join(ROOT, 'result', 'table1')


def make_parser():
    """Returns the command-line parser."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='YAML config of every training (default: '
                        '%(default)s)')
    parser.add_argument('--out', default=DEFAULT_OUT,
                        help='output directory (default: %(default)s)')
    parser.add_argument('--rows', nargs='+', default=D['rows'],
                        choices=ROW_KEYS, metavar='ROW',
                        help='rows to run, of: {} (default: all)'.format(
                            ' '.join(ROW_KEYS)))
    parser.add_argument('--seeds', type=int, nargs='+',
                        default=None,
                        help='retrain seeds (train.seed) of FCN, U-Net, '
                        'the full FDN and SparseMask, at least 3 and none a '
                        'search seed (default: 10 11 12 13 14; --quick: '
                        '10 11 12)')
    parser.add_argument('--other-seeds', type=int, default=D['other_seeds'],
                        help='the other rows are retrained with the first '
                        'N of --seeds (default: %(default)s)')
    parser.add_argument('--grid-seeds', type=int, default=None,
                        help='each learning rate of the grid is trained '
                        'with the first N of --seeds; the best mean wins '
                        '(default: 2; --quick: 1)')
    parser.add_argument('--search-seeds', type=int, nargs='+',
                        default=D['search_seeds'],
                        help='search seeds: a searched row takes their '
                        'architectures in turn over its seeds; all go into '
                        'the stability study (default: %(default)s)')
    parser.add_argument('--stability', nargs='*', default=D['stability'],
                        choices=sorted(SEARCHES), metavar='SEARCH',
                        help='search variants of the stability study, of: '
                        '{} (default: sparse; none: no study)'.format(
                            ' '.join(sorted(SEARCHES))))
    parser.add_argument('--stability-seeds', type=int, nargs='+',
                        default=None,
                        help='retrain seeds of each found architecture in '
                        'the stability study (default: none; the searched '
                        "rows' own seeds already use each search seed's "
                        'architecture)')
    parser.add_argument('--lr-grid', type=float, nargs='+', default=None,
                        help='decoder learning rates tried on the holdout '
                        '(default: 0.1 0.3)')
    parser.add_argument('--holdout', type=int, default=None,
                        help='training examples held out for the grid '
                        '(default: 10%% of the training split, at most the '
                        'size of the val split)')
    parser.add_argument('--level-window', type=float,
                        default=D['level_window'],
                        help='loss levelling: the fraction of the log in '
                        'each window (default: %(default)s)')
    parser.add_argument('--level-threshold', type=float,
                        default=D['level_threshold'],
                        help='loss levelling: the largest relative change '
                        '(default: %(default)s)')
    parser.add_argument('--bench-size', default=None,
                        help='images/s: input H or HxW (default: '
                        'dataset.size for the synthetic data sets, else 512)')
    parser.add_argument('--bench-batch', type=int,
                        default=D['bench_batch'],
                        help='images/s: batch (default: %(default)s)')
    parser.add_argument('--bench-repeat', type=int, default=None,
                        help='images/s: timed runs, the median is kept '
                        '(default: 5)')
    parser.add_argument('--gpu', type=int, default=D['gpu'],
                        help='GPU id, -1 for the CPU (default)')
    parser.add_argument('--jobs', type=int, default=None,
                        help='CPU: trainings run at a time, each in a worker '
                        'process with one thread (default: the number of '
                        'cores, {}; 1: in this process, with the usual '
                        'threads). The results do not depend on it when it '
                        'is > 1'.format(available_cores()))
    parser.add_argument('--plots', action='store_true',
                        help="keep the trainer's loss.png and miou.png "
                        '(off by default: drawing them takes about 15%% of '
                        'a small CPU training)')
    parser.add_argument('--pilot', action='store_true',
                        help='run the pilot only (minutes): FCN and U-Net '
                        'with the first 3 seeds at the config\'s decoder '
                        'lr, judged by the gate; exit status 1 if it '
                        'refuses')
    parser.add_argument('--no-pilot-gate', dest='pilot_gate',
                        action='store_false', default=None,
                        help='run the full table without the pilot (the '
                        'gate is on by default, off with --quick)')
    parser.add_argument('--quick', action='store_true',
                        help='tiny everything, for the tests: {} and '
                        '--lr-grid 0.003 0.01 --holdout 4 --bench-repeat 1 '
                        '(given options still win)'.format(
                            ' '.join(QUICK_OVERRIDES)))
    parser.add_argument('--debug', action='store_true',
                        help='print the traceback of every error')
    parser.add_argument('overrides', nargs='*', metavar='section.key=value',
                        help='config overrides of every training')
    return parser


def parse_args(argv=None):
    """Parses and checks the command line, with the --quick defaults."""
    args = make_parser().parse_intermixed_args(argv)
    args.argv = argv
    return check_options(args)


def main(argv=None):
    args = None
    reuse_freed_memory()
    try:
        args = parse_args(argv)
        result = run_table1(
            args, repo_root=ROOT,
            script=os.path.relpath(os.path.abspath(__file__), ROOT))
    except Exception as e:
        debug = debug_requested(args.debug if args is not None else False)
        sys.exit(report_failure(e, debug=debug))
    if args.pilot and not result['pilot']['passed']:
        sys.exit(1)


if __name__ == '__main__':
    main()
