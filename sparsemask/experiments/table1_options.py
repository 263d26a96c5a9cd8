"""The options of a Table 1 run: their defaults, the ``--quick`` protocol and
their checks.

``eval/table1.py`` parses them from its command line;
:func:`table1_options` makes them without one.
"""

import argparse

from sparsemask.cuda import require_gpu
from sparsemask.experiments.table1_rows import ROW_KEYS
from sparsemask.training.config import ConfigError
from sparsemask.training.training_pool import available_cores

#: every training (quiet, one final evaluation is enough for the table)
ALWAYS = ['log.progress_bar=false']

#: --quick: a tiny synthetic protocol for the tests (given options win)
QUICK_OVERRIDES = [
    'dataset.name=synthetic', 'dataset.n_train=36', 'dataset.n_val=4',
    'dataset.size=32', 'model.backbone=mobilenetv2',
    'model.pretrained_model=null', 'model.width_multiplier=0.25',
    'model.channels=4', 'train.batchsize=4', 'train.iterations=4',
    'train.lr_encoder=0.01', 'train.lr_decoder=0.01', 'train.lam=1.0',
    'train.crop_size=32', 'train.loaderjob=0', 'log.log_interval=1',
    'log.eval_interval=1000000', 'log.snapshot_interval=1000000',
]
#: the defaults of the options left None, with --quick and without. The
#: grid is 0.1 and 0.3: on the benchmark's val split 0.03 came last for
#: each of the six rows of a grid of 0.03, 0.1 and 0.3 (300 iterations;
#: eval/results/table1_benchmark_300it/table1.json)
QUICK = {'lr_grid': [0.003, 0.01], 'holdout': 4, 'bench_repeat': 1,
         'bench_size': '32', 'seeds': [10, 11, 12], 'grid_seeds': 1}
NORMAL = {'lr_grid': [0.1, 0.3], 'holdout': None, 'bench_repeat': 5,
          'bench_size': None, 'seeds': [10, 11, 12, 13, 14],
          'grid_seeds': 2}

#: option -> its default (None: see :data:`QUICK`, :data:`NORMAL` and
#: :func:`check_options`)
DEFAULTS = {
    'rows': list(ROW_KEYS),
    'seeds': None,
    'other_seeds': 3,
    'grid_seeds': None,
    'search_seeds': [0, 1, 2],
    'stability': ['sparse'],
    'stability_seeds': None,
    'lr_grid': None,
    'holdout': None,
    'level_window': 0.2,
    'level_threshold': 0.05,
    'bench_size': None,
    'bench_batch': 1,
    'bench_repeat': None,
    'gpu': -1,
    'jobs': None,
    'plots': False,
    'quick': False,
    'pilot': False,
    'pilot_gate': None,
    'debug': False,
    'overrides': [],
}


def check_options(args):
    """Fills in the defaults that depend on other options and checks the
    options.

    Options left None get the :data:`QUICK` (``args.quick``) or
    :data:`NORMAL` defaults, ``stability_seeds`` none (a searched row's
    retrainings already take each search seed's architecture in turn),
    ``jobs`` one per core on the CPU (1 on a GPU) and ``pilot_gate``
    on unless ``quick``.

    Args:
        args (argparse.Namespace): the options (see :data:`DEFAULTS`), with
            ``config``, ``out`` and ``argv`` (the command line, or None for
            ``sys.argv[1:]``). Changed in place.

    Returns:
        argparse.Namespace: ``args``.

    Raises:
        ConfigError: an option is out of range, the retrain seeds are
            fewer than 3 or include a search seed, ...
        GPUUnavailableError: ``args.gpu`` >= 0 and the GPU cannot be used.

    """
    defaults = QUICK if args.quick else NORMAL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.stability_seeds is None:
        args.stability_seeds = []
    if args.pilot_gate is None:
        args.pilot_gate = not args.quick
    if args.jobs is None:
        args.jobs = available_cores() if args.gpu < 0 else 1
    if args.jobs < 1:
        raise ConfigError('--jobs {}: expected a positive number'.format(
            args.jobs))
    require_gpu(args.gpu)
    if len(set(args.seeds)) < 3:
        raise ConfigError('--seeds {}: expected at least 3 different '
                          'seeds'.format(' '.join(map(str, args.seeds))))
    if len(set(args.seeds)) != len(args.seeds) or \
            len(set(args.search_seeds)) != len(args.search_seeds):
        raise ConfigError('--seeds and --search-seeds: a seed is listed '
                          'twice')
    args.other_seeds = min(args.other_seeds, len(args.seeds))
    if not 1 <= args.other_seeds:
        raise ConfigError('--other-seeds {}: expected 1 to {} (the number '
                          'of --seeds)'.format(args.other_seeds,
                                               len(args.seeds)))
    if not 1 <= args.grid_seeds <= len(args.seeds):
        raise ConfigError('--grid-seeds {}: expected 1 to {} (the number '
                          'of --seeds)'.format(args.grid_seeds,
                                               len(args.seeds)))
    shared = sorted(set(args.seeds) & set(args.search_seeds))
    if shared:
        raise ConfigError('--seeds and --search-seeds share {}: the retrain '
                          'seeds must differ from the search seeds'.format(
                              ' '.join(map(str, shared))))
    if args.stability and len(args.search_seeds) < 3:
        raise ConfigError('--search-seeds: the stability study needs at '
                          'least 3 (or --stability with no variant)')
    if len(set(args.lr_grid)) != len(args.lr_grid) or \
            min(args.lr_grid) <= 0:
        raise ConfigError('--lr-grid: expected different positive numbers')
    if args.holdout is not None and args.holdout < 1:
        raise ConfigError('--holdout: expected a positive number')
    if not 0 < args.level_window <= 0.5:
        raise ConfigError('--level-window: expected a fraction in (0, 0.5]')
    if args.bench_batch < 1 or args.bench_repeat < 1:
        raise ConfigError('--bench-batch and --bench-repeat: expected '
                          'positive numbers')
    return args


def table1_options(config, out, argv=(), **options):
    """The options of a Table 1 run without a command line.

    Args:
        config (str): the YAML config of every training.
        out (str): the output directory.
        argv (sequence of str): the command line recorded in the result.
        **options: options other than their :data:`DEFAULTS`, e.g.
            ``quick=True``, ``rows=['unet']``, ``stability=[]``.

    Returns:
        argparse.Namespace: checked by :func:`check_options`.

    """
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise TypeError('unknown options: {}'.format(', '.join(unknown)))
    values = {k: list(v) if isinstance(v, list) else v
              for k, v in DEFAULTS.items()}
    values.update(options)
    return check_options(argparse.Namespace(config=config, out=out,
                                            argv=list(argv), **values))
