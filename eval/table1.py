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

1. The searches run on the training split with ``train.seed`` = each
   ``--search-seeds`` (the first one for the rows; all of them for the
   stability study of ``--stability`` variants, the sparse loss by default).
2. The decoder learning rate of each row is chosen from ``--lr-grid`` by
   training on the training split less its last ``--holdout`` examples
   (``dataset.holdout``) and reading the final mIoU on those held-out
   examples; the val split is never read for the choice (the largest
   holdout mIoU wins, the first of the grid on a tie). A run that diverges
   counts as failed and is not chosen.
3. Each row is then retrained with each ``--seeds`` (distinct from the
   search seeds) at its chosen learning rate on the whole training split
   and evaluated on the val split: the table shows the mean +- the sample
   standard deviation of the final val mIoU.
4. Search stability: for each search seed, the kept connections; how often
   each connection is kept; the Jaccard index of every pair of kept sets;
   and the val mIoU of each found architecture retrained (at the row's
   tuned learning rate, ``--stability-seeds``).
5. Parameters are counted as the paper counts them (encoder+decoder,
   ``eval/bench_model.py``'s ``count_parameters``), images/s is the median of
   ``--bench-repeat`` test-phase forward passes of batch ``--bench-batch``
   at ``--bench-size`` (the data's size by default), all the rows' models
   taking turns (``sparsemask.utils.benchmark.median_times``).
6. Whether each training's loss has levelled off: the mean ``main/loss``
   over the last 20% (``--level-window``) of the logged values against the
   20% before them (windows of 60 iterations in the default config: a
   mean over fewer minibatches of 8 moves by several % by chance);
   ``levelled`` when the relative change is below ``--level-threshold``.
   This is reported, not enforced. With the poly schedule the learning
   rate is small at the end, so a level loss says the schedule ended, not
   that a longer one would not do better.

On the CPU the trainings of each step run ``--jobs`` at a time (default:
one per core), each in a worker process with one thread
(:class:`~sparsemask.training.training_pool.TrainingPool`): a training's
numbers then depend only on its config, not on ``--jobs``.

Every training has its own directory under ``--out`` (``search/``,
``grid/``, ``retrain/``); one that finished (``model.npz`` and ``log``
there, with the same configuration) is not run again when the script is
rerun, and one that was interrupted is resumed from its newest snapshot.
A directory that holds a training with another configuration is an error
(choose another ``--out`` or delete it). The table is printed and written
to ``OUT/table1.md``; everything (per-seed results, the grid, the
stability study, the losses, the timings) to ``OUT/table1.json``.

The default config, ``configs/table1_synthetic.yaml``, is a scaled-down
protocol on the synthetic data set that runs on 2 CPU cores in about 46
minutes (2,734 s measured, ``--jobs 2``); ``--config
configs/voc_mobilenetv2_retrain.yaml`` with the data directories runs the
paper's (``--gpu 0``).

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
import copy
import datetime
import importlib.util
import json
import math
import os
import sys
import time

import numpy

import chainer
from chainer.training import extensions as chainer_extensions

from sparsemask.connectivity import Connectivity
from sparsemask.cuda import require_gpu
from sparsemask.training import build_datasets
from sparsemask.training import build_model
from sparsemask.training import ConfigError
from sparsemask.training import load_config
from sparsemask.training.config import config_items
from sparsemask.training.training_pool import available_cores
from sparsemask.training.training_pool import TrainingPool
from sparsemask.training.train_in_dir import STATUS_FILE
from sparsemask.training.train_in_dir import train_in_dir
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.utils import atomic_write_text
from sparsemask.utils import statistics as stats
from sparsemask.utils.benchmark import device_name
from sparsemask.utils.one_line import one_line

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_CONFIG = os.path.join(ROOT, 'configs', 'table1_synthetic.yaml')
DEFAULT_OUT = os.path.join(ROOT, 'result', 'table1')


def _load_bench_model():
    # eval/ is not a package: load the benchmark script by its path
    spec = importlib.util.spec_from_file_location(
        '_sparsemask_eval_bench_model', os.path.join(HERE, 'bench_model.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_bench_model()

#: key -> (label, how the row is made, paper's VOC val mIoU in % or None)
ROWS = (
    ('fcn', 'FCN', {'arch': 'fcn'}, 63.80),
    ('deeplabv3', 'DeepLabV3', {'arch': 'deeplabv3'}, 72.51),
    ('unet', 'U-Net', {'arch': 'unet'}, 64.72),
    ('sparseacn', 'SparseACN', {'arch': 'sparseacn'}, 72.23),
    ('maskconnect', 'MaskConnect (top-k search)', {'search': 'topk'}, 70.34),
    ('l1', 'FDN with L1 (search)', {'search': 'l1'}, 72.72),
    ('full', 'full FDN', {'arch': 'full'}, None),
    ('full_small', 'full FDN, decoder params of SparseMask',
     {'matched': 'sparse'}, None),
    ('random', 'random sparse, connections of SparseMask',
     {'random': 'sparse'}, None),
    ('sparsemask', 'SparseMask', {'search': 'sparse'}, 73.18),
    ('sparsemask_nobn', 'SparseMask w/o per-connection BN',
     {'search': 'sparse_nobn'}, 72.21),
)
ROW_KEYS = tuple(r[0] for r in ROWS)

#: search variant -> overrides of its search
SEARCHES = {
    'sparse': ['train.search_loss=sparse'],
    'l1': ['train.search_loss=l1'],
    'topk': ['train.search_loss=topk'],
    'sparse_nobn': ['train.search_loss=sparse', 'model.connection_bn=false'],
}
#: the row that retrains each search variant's architecture
SEARCH_ROW = {'sparse': 'sparsemask', 'l1': 'l1', 'topk': 'maskconnect',
              'sparse_nobn': 'sparsemask_nobn'}

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
QUICK = {'lr_grid': [0.003, 0.01], 'holdout': 4, 'bench_repeat': 1,
         'bench_size': '32'}
NORMAL = {'lr_grid': [0.01, 0.03, 0.1], 'holdout': None, 'bench_repeat': 5,
          'bench_size': None}


class StaleRunError(ConfigError):
    """A directory under --out holds a training with another
    configuration."""


def _lr_name(lr):
    return 'lr{:g}'.format(lr)


class Table1(object):
    """Runs the trainings of the table and collects the results.

    Args:
        args (argparse.Namespace): the parsed command line (see
            :func:`make_parser`), with the --quick defaults applied.
        say (callable): prints a progress line.

    """

    def __init__(self, args, say=print):
        self.args = args
        self.say = say
        self.out = os.path.abspath(args.out)
        self.overrides = (QUICK_OVERRIDES if args.quick else []) + list(
            args.overrides)
        self.base = self.config([])
        self.trainings = []
        self.searches = {}
        self.rows = []
        self.stability = {}
        self.benchmark = None
        self.warnings = []
        self.started = time.time()
        self._decoder_params = {}
        self.pool = None            # see start_workers()
        self._ran_now = set()       # run by prefetch() in this invocation
        train, val, label_names = build_datasets(self.base['dataset'])
        self.n_class = len(label_names)
        self.n_train = len(train)
        self.n_val = len(val)
        if args.holdout is None:
            # 10% of the training split, at most as many as the val split
            args.holdout = max(1, min(self.n_train // 10, self.n_val))
        if args.holdout >= self.n_train:
            raise ConfigError('--holdout {}: expected fewer than the {} '
                              'training examples'.format(args.holdout,
                                                         self.n_train))

    # ------------------------------------------------------------ configs
    def config(self, extra):
        """The resolved config of a training: ``--config``, the --quick and
        command-line overrides, then ``extra``."""
        always = ALWAYS + ([] if self.args.plots else ['log.plots=false'])
        config = load_config(self.args.config,
                             self.overrides + always + list(extra))
        if config['task'] != 'segmentation':
            raise ConfigError(
                'task = {!r}: the table compares segmentation decoders by '
                'mIoU (task: segmentation)'.format(config['task']))
        return config

    # ------------------------------------------------------------ workers
    def start_workers(self):
        """Starts the ``--jobs`` workers of :meth:`prefetch` (on the CPU,
        when ``--jobs`` > 1)."""
        if self.args.jobs > 1 and self.args.gpu < 0:
            self.pool = TrainingPool(self.args.jobs)

    def stop_workers(self):
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    # ---------------------------------------------------------- trainings
    def train(self, kind, rel, extra, mode='retrain', arch_file=None,
              **info):
        """Runs one training, or reuses a finished one.

        Args:
            kind (str): ``search``, ``grid``, ``seed`` or ``stability``.
            rel (str): its directory, relative to ``--out``.
            extra (list of str): overrides.
            mode (str): ``search`` or ``retrain``.
            arch_file (str): the arch.yaml ``model.arch`` names, if any
                (then the architecture is compared, not the path).
            **info: kept in the record (``lr``, ``seed``, ...).

        Returns:
            dict: the record: ``dir``, ``cached``, ``time_s``, ``miou``
            (the final ``val/main/miou``: the holdout's for the grid),
            ``loss`` (:func:`~sparsemask.utils.statistics.loss_levelled`),
            ``failed`` (the error of a diverged run, or None).

        """
        config, run_dir = self._prepare(rel, extra, arch_file)
        record = dict(kind=kind, dir=rel, mode=mode, **info)
        status = self._ended(run_dir, mode)
        if status is not None:
            # finished earlier, or just now by a worker of prefetch()
            record['cached'] = rel not in self._ran_now
            record['time_s'] = status.get('time_s')
            record['failed'] = status.get('failed')
            record['resumed'] = status.get('resumed')
        else:
            record['cached'] = False
            self.say('[{}] {} {} ...'.format(len(self.trainings) + 1, mode,
                                             rel))
            status = train_in_dir(config, mode, run_dir,
                                  device=self.args.gpu)
            record.update(time_s=status['time_s'], failed=status['failed'],
                          resumed=status['resumed'])
        record.update(self._read_log(run_dir, mode))
        if record['failed']:
            record['miou'] = None
        self.trainings.append(record)
        if not record['cached'] and rel not in self._ran_now:
            self.say(self._describe(kind, record))
        return record

    def _prepare(self, rel, extra, arch_file):
        config = self.config(extra)
        run_dir = os.path.join(self.out, rel)
        self._check_same(run_dir, config, arch_file)
        return config, run_dir

    def _ended(self, run_dir, mode):
        """The status (``train_status.json``, or ``{}`` without one) of a
        training that has ended, finished or diverged; None if it has not
        run or was interrupted."""
        status_path = os.path.join(run_dir, STATUS_FILE)
        status = {}
        if os.path.isfile(status_path):
            with open(status_path) as f:
                status = json.load(f)
        finished = all(os.path.isfile(os.path.join(run_dir, name))
                       for name in self._products(mode))
        return status if finished or status.get('failed') else None

    def _describe(self, kind, record):
        return '    {:.1f} s, {} mIoU {}, loss {}{}'.format(
            record['time_s'], 'holdout' if kind == 'grid' else 'val',
            _fmt_miou(record['miou']), _fmt_change(record['loss']),
            '; FAILED: ' + record['failed'] if record['failed'] else '')

    def prefetch(self, specs):
        """Runs the trainings of ``specs`` that have not run yet, ``--jobs``
        at a time in worker processes, so that :meth:`train` then finds
        them finished. Nothing happens with ``--jobs 1`` (:meth:`train`
        runs each in this process) or on a GPU.

        Args:
            specs (list of dict): keyword arguments of :meth:`train`
                (``kind``, ``rel``, ``extra``, ``mode``, ``arch_file``).

        """
        if self.pool is None:
            return
        todo = []
        seen = set()
        for spec in specs:
            rel, mode = spec['rel'], spec.get('mode', 'retrain')
            if rel in seen:
                continue
            seen.add(rel)
            try:
                config, run_dir = self._prepare(rel, spec['extra'],
                                                spec.get('arch_file'))
            except StaleRunError:
                raise
            except ConfigError:
                continue    # train() reports it
            if self._ended(run_dir, mode) is None:
                todo.append((spec.get('kind', 'seed'), rel, config, mode,
                             run_dir))
        if not todo:
            return
        self.say('running {} trainings, {} at a time (one thread '
                 'each)'.format(len(todo), self.args.jobs))
        done = self.pool.run([(config, mode, run_dir)
                              for _, _, config, mode, run_dir in todo])
        for n, (i, status) in enumerate(done):
            kind, rel, _, mode, run_dir = todo[i]
            self._ran_now.add(rel)
            record = dict(status, kind=kind)
            record.update(self._read_log(run_dir, mode))
            self.say('[{}/{}] {} {}'.format(n + 1, len(todo), mode, rel))
            self.say(self._describe(kind, record))

    @staticmethod
    def _products(mode):
        names = ['model.npz', 'log']
        if mode == 'search':
            names.append('arch.yaml')
        return names

    def _check_same(self, run_dir, config, arch_file):
        saved_path = os.path.join(run_dir, 'config.yaml')
        if not os.path.isfile(saved_path):
            if os.path.isfile(os.path.join(run_dir, 'model.npz')):
                raise StaleRunError(
                    '{} holds a model but no config.yaml: it is not a '
                    'training of this table; delete it or choose another '
                    '--out'.format(run_dir))
            return
        saved = load_config(saved_path)
        wanted = copy.deepcopy(config)
        if arch_file is not None:
            saved['model']['arch'] = wanted['model']['arch'] = None
        before = dict(config_items(saved))
        changed = ['{}: {!r} -> {!r}'.format(name, before[name], value)
                   for name, value in config_items(wanted)
                   if before[name] != value]
        if arch_file is not None and not changed:
            built = os.path.join(run_dir, 'arch.yaml')
            if os.path.isfile(built) and Connectivity.from_yaml(built) != \
                    Connectivity.from_yaml(arch_file):
                changed.append('the architecture differs from {}'.format(
                    arch_file))
        if changed:
            raise StaleRunError(
                '{} holds a training with another configuration ({}); '
                'delete it or choose another --out'.format(
                    run_dir, '; '.join(changed)))

    def _read_log(self, run_dir, mode):
        path = os.path.join(run_dir, 'log')
        entries = []
        if os.path.isfile(path):
            with open(path) as f:
                entries = json.load(f)
        miou = stats.last_logged(entries, 'val/main/miou')
        level = dict(fraction=self.args.level_window,
                     threshold=self.args.level_threshold)
        result = {'miou': miou,
                  'loss': stats.loss_levelled(entries, 'main/loss', **level),
                  'iterations': entries[-1].get('iteration')
                  if entries else None}
        if mode == 'search':
            result['sparse_loss'] = stats.loss_levelled(
                entries, 'main/sparse_loss', **level)
        return result

    # ------------------------------------------------------------ searches
    def search(self, variant, seed):
        """Runs (or reuses) one search; returns its record with
        ``arch_file``, ``connectivity`` and ``connections``."""
        key = (variant, seed)
        if key in self.searches:
            return self.searches[key]
        spec = self.search_spec(variant, seed)
        rel = spec['rel']
        try:
            record = dict(self.train(**spec))
        except StaleRunError:
            raise
        except ConfigError as e:
            # e.g. a search option this version does not have
            record = {'kind': 'search', 'dir': rel, 'mode': 'search',
                      'variant': variant, 'seed': seed, 'cached': False,
                      'time_s': None, 'miou': None, 'loss': None,
                      'failed': 'cannot run: {}'.format(one_line(e))}
            self.say('search {} seed {}: {}'.format(variant, seed,
                                                   record['failed']))
        if not record['failed']:
            arch_file = os.path.join(self.out, rel, 'arch.yaml')
            connectivity = Connectivity.from_yaml(arch_file)
            record['arch_file'] = arch_file
            record['connectivity'] = connectivity
            record['arch'] = connectivity.to_dict()
            record['n_connections'] = connectivity.n_connections
            record['connections'] = sorted(
                stats.connection_names(connectivity))
        self.searches[key] = record
        return record

    @staticmethod
    def search_spec(variant, seed):
        """One search, as keyword arguments of :meth:`train`."""
        return dict(kind='search',
                    rel=os.path.join('search', '{}_s{}'.format(variant, seed)),
                    extra=SEARCHES[variant] + ['train.seed={}'.format(seed)],
                    mode='search', variant=variant, seed=seed)

    def check_searches_differ(self):
        """Warns when two search variants with the same seed ended with
        the same connection weights: the option that tells them apart
        (``train.search_loss``, ``model.connection_bn``) was then probably
        ignored by this version of the code."""
        done = [(k, r) for k, r in sorted(self.searches.items())
                if not r['failed']]
        for i, ((v1, s1), r1) in enumerate(done):
            for (v2, s2), r2 in done[i + 1:]:
                if s1 != s2:
                    continue
                w1 = self._weights(r1)
                w2 = self._weights(r2)
                if w1 is not None and w1 == w2:
                    text = ('the searches {} and {} with seed {} ended with '
                            'identical connection weights: was {} '
                            'ignored?'.format(v1, v2, s1, ' / '.join(
                                sorted(set(SEARCHES[v1]) ^
                                       set(SEARCHES[v2])))))
                    self.warnings.append(text)
                    self.say('warning: ' + text)

    def _weights(self, record):
        path = os.path.join(self.out, record['dir'],
                            'connection_weights.npz')
        if not os.path.isfile(path):
            return None
        with numpy.load(path) as f:
            return {k: f[k].tolist() for k in f.files}

    # ---------------------------------------------------------------- rows
    def decoder_params(self, extra):
        """Decoder (stages + head) parameters of a retrained model."""
        key = tuple(extra)
        if key not in self._decoder_params:
            config = self.config(list(extra) +
                                 ['model.pretrained_model=null'])
            model = build_model(config['model'], 'retrain', self.n_class)
            self._decoder_params[key] = int(
                sum(p.size for p in model.decoder.params()) +
                sum(p.size for p in model.head.params()))
        return self._decoder_params[key]

    def matched_channels(self, target):
        """The decoder depth at which the full FDN's decoder is closest to
        ``target`` parameters (bisection: the count grows with the
        depth)."""
        def count(c):
            return self.decoder_params(['model.arch=full',
                                        'model.channels={}'.format(c)])
        lo, hi = 1, self.base['model']['channels']
        while lo < hi:
            mid = (lo + hi) // 2
            if count(mid) < target:
                lo = mid + 1
            else:
                hi = mid
        best = lo
        if lo > 1 and abs(count(lo - 1) - target) <= abs(count(lo) - target):
            best = lo - 1
        return best, count(best)

    def resolve(self, key):
        """How a row's trainings are made: a dict with ``key``, ``label``,
        ``arch_id`` (its directory name), ``arch_file``,
        ``overrides(seed)`` and ``note`` (why the row is not run: its
        search diverged, or its model cannot be built (a ConfigError), e.g.
        a baseline this version does not have)."""
        try:
            row = self._resolve(key)
            if not row['note']:
                # can it be built?
                self.decoder_params(row['overrides'](self.args.seeds[0]))
        except StaleRunError:
            raise
        except ConfigError as e:
            label, paper = next((r[1], r[3]) for r in ROWS if r[0] == key)
            row = {'key': key, 'label': label, 'paper_miou': paper,
                   'arch_file': None,
                   'note': 'cannot be built: {}'.format(one_line(e))}
        return row

    def _resolve(self, key):
        label, how, paper = next((r[1], r[2], r[3]) for r in ROWS
                                 if r[0] == key)
        row = {'key': key, 'label': label, 'paper_miou': paper,
               'arch_file': None, 'note': None}
        if 'arch' in how:
            arch = how['arch']
            row['arch_id'] = arch
            row['overrides'] = lambda seed: ['model.arch=' + arch]
            return row
        variant = how.get('search') or how.get('matched') or how['random']
        main_seed = self.args.search_seeds[0]
        found = self.search(variant, main_seed)
        if found['failed']:
            row['note'] = 'its search ({} seed {}) failed: {}'.format(
                variant, main_seed, found['failed'])
            return row
        if 'search' in how:
            arch_file = found['arch_file']
            row['arch_file'] = arch_file
            row['arch_id'] = '{}_search{}'.format(variant, main_seed)
            row['search'] = {'variant': variant, 'seed': main_seed}
            row['overrides'] = lambda seed: ['model.arch=' + arch_file]
        elif 'matched' in how:
            target = self.decoder_params(
                ['model.arch=' + found['arch_file']])
            channels, params = self.matched_channels(target)
            row['arch_id'] = 'full_c{}'.format(channels)
            row['matched'] = {'variant': variant, 'seed': main_seed,
                              'target_decoder_params': target,
                              'channels': channels,
                              'decoder_params': params}
            row['overrides'] = lambda seed: [
                'model.arch=full', 'model.channels={}'.format(channels)]
        else:
            n = found['n_connections']
            row['arch_id'] = 'random_n{}'.format(n)
            row['random'] = {'variant': variant, 'seed': main_seed,
                             'connections': n}
            row['overrides'] = lambda seed: [
                'model.arch=random', 'model.random_connections={}'.format(n),
                'model.random_seed={}'.format(seed)]
        return row

    def grid_specs(self, row):
        """The trainings of a row's learning-rate grid (on the holdout),
        as keyword arguments of :meth:`train`."""
        seed = self.args.seeds[0]
        return [dict(kind='grid',
                     rel=os.path.join('grid', row['arch_id'], _lr_name(lr)),
                     extra=row['overrides'](seed) + [
                         'dataset.holdout={}'.format(self.args.holdout),
                         'train.lr_decoder={!r}'.format(lr),
                         'train.seed={}'.format(seed)],
                     arch_file=row['arch_file'], row=row['key'], lr=lr,
                     seed=seed)
                for lr in self.args.lr_grid]

    def tune(self, row):
        """The learning-rate grid of a row, on the holdout."""
        grid = []
        for spec in self.grid_specs(row):
            rec = self.train(**spec)
            grid.append({'lr': spec['lr'], 'holdout_miou': rec['miou'],
                         'failed': rec['failed'], 'dir': spec['rel'],
                         'loss': rec['loss']})
        best = stats.argmax_first([g['holdout_miou'] for g in grid])
        row['grid'] = grid
        row['tuned_lr'] = None if best is None else grid[best]['lr']
        return row['tuned_lr']

    def retrain_specs(self, row, seeds, kind='seed', arch_id=None,
                      arch_file=None, overrides=None):
        """The trainings of a row at its tuned learning rate, one per seed,
        as keyword arguments of :meth:`train`."""
        arch_id = arch_id or row['arch_id']
        arch_file = arch_file if arch_file is not None else row['arch_file']
        overrides = overrides or row['overrides']
        lr = row['tuned_lr']
        return [dict(kind=kind,
                     rel=os.path.join('retrain', arch_id, '{}_s{}'.format(
                         _lr_name(lr), seed)),
                     extra=overrides(seed) + [
                         'train.lr_decoder={!r}'.format(lr),
                         'train.seed={}'.format(seed)],
                     arch_file=arch_file, row=row['key'], lr=lr, seed=seed)
                for seed in seeds]

    def retrain(self, row, seeds, **kwargs):
        """Trains at the row's tuned learning rate with each seed and
        evaluates on the val split (``kwargs``: see
        :meth:`retrain_specs`)."""
        results = []
        for spec in self.retrain_specs(row, seeds, **kwargs):
            rec = self.train(**spec)
            results.append({'seed': spec['seed'], 'val_miou': rec['miou'],
                            'failed': rec['failed'], 'dir': spec['rel'],
                            'time_s': rec['time_s'], 'loss': rec['loss']})
        return results

    def summarise(self, row):
        runs = row.get('runs', [])
        mious = [r['val_miou'] for r in runs if r['val_miou'] is not None]
        mean, std = stats.mean_std(mious)
        row['miou_mean'], row['miou_std'], row['n'] = mean, std, len(mious)
        changes = [r['loss'] for r in runs]
        known = [c for c in changes if c['levelled'] is not None]
        row['levelled'] = {
            'levelled': sum(1 for c in known if c['levelled']),
            'of': len(changes),
            'max_abs_change': max((abs(c['relative_change']) for c in known),
                                  default=None),
            'threshold': self.args.level_threshold}

    # -------------------------------------------------------- benchmarks
    def measure(self, rows):
        """Parameters, connections and test-phase images/s of each row's
        model (the architecture of the row's first seed; all seeds' for
        the parameters of the random row), the models taking turns."""
        size = bench.parse_size(self.args.bench_size, '--bench-size')
        xp = numpy
        if self.args.gpu >= 0:
            import cupy
            xp = cupy
        models = {}
        for row in rows:
            per_seed = []
            seeds = self.args.seeds if row['key'] == 'random' else \
                self.args.seeds[:1]
            for seed in seeds:
                config = self.config(row['overrides'](seed) +
                                     ['model.pretrained_model=null'])
                numpy.random.seed(0)
                model = build_model(config['model'], 'retrain', self.n_class)
                counts = bench.count_parameters(model)
                connectivity = getattr(model, 'connectivity', None)
                counts['connections'] = None if connectivity is None else \
                    connectivity.n_connections
                counts['seed'] = seed
                per_seed.append(counts)
                if row['key'] not in models:
                    models[row['key']] = model
            row['parameters'] = per_seed[0]
            row['connections'] = per_seed[0]['connections']
            if len(per_seed) > 1:
                row['parameters_per_seed'] = per_seed
        if self.args.gpu >= 0:
            chainer.cuda.get_device_from_id(self.args.gpu).use()
            for model in models.values():
                model.to_gpu()
        timing = bench.throughput(models, self.args.bench_batch, size, xp,
                                  self.args.bench_repeat, warmup=1)
        for row in rows:
            t = timing[row['key']]
            row['images_per_s'] = t['images_per_s']
            row['bench_times_s'] = t['times_s']
        self.benchmark = {'size': list(size), 'batch': self.args.bench_batch,
                          'repeat': self.args.bench_repeat, 'warmup': 1,
                          'device': device_name(self.args.gpu),
                          'load_average': list(os.getloadavg())}

    # ------------------------------------------------------------ stability
    def study_stability(self, variant, owner):
        """Kept connections of each search seed, their agreement, and the
        val mIoU of each found architecture retrained (when the row that
        retrains this variant was tuned)."""
        found = [self.search(variant, s) for s in self.args.search_seeds]
        ok = [f for f in found if not f['failed']]
        sets = [set(f['connections']) for f in ok]
        pairs = stats.pairwise_jaccard(sets)
        seeds_ok = [f['seed'] for f in ok]
        result = {
            'variant': variant,
            'search_seeds': list(self.args.search_seeds),
            'failed': {str(f['seed']): f['failed'] for f in found
                       if f['failed']},
            'n_connections': {str(f['seed']): f['n_connections']
                              for f in ok},
            'connections': {str(f['seed']): f['connections'] for f in ok},
            'selection_frequency': stats.selection_frequency(sets),
            'pairwise_jaccard': [
                {'seeds': [seeds_ok[i], seeds_ok[j]], 'jaccard': v}
                for i, j, v in pairs],
            'mean_jaccard': stats.mean_std([v for _, _, v in pairs])[0],
            'search_loss': {str(f['seed']): f['loss'] for f in found},
            'retrained': [],
        }
        for f, kwargs in self._stability_retrains(variant, owner):
            result['retrain_lr'] = owner['tuned_lr']
            runs = self.retrain(owner, self.args.stability_seeds, **kwargs)
            mious = [r['val_miou'] for r in runs
                     if r['val_miou'] is not None]
            result['retrained'].append({
                'search_seed': f['seed'],
                'n_connections': f['n_connections'],
                'runs': runs,
                'val_miou_mean': stats.mean_std(mious)[0]})
        self.stability[variant] = result
        return result

    def _stability_retrains(self, variant, owner):
        """(search record, keyword arguments of :meth:`retrain`) of each
        architecture the searches of ``variant`` found, if the row that
        retrains them (``owner``) was tuned."""
        if owner is None or owner.get('tuned_lr') is None:
            return []
        found = [self.search(variant, s) for s in self.args.search_seeds]
        return [(f, dict(kind='stability',
                         arch_id='{}_search{}'.format(variant, f['seed']),
                         arch_file=f['arch_file'],
                         overrides=lambda seed, a=f['arch_file']: [
                             'model.arch=' + a]))
                for f in found if not f['failed']]

    def stability_specs(self, variant, owner):
        """The retrainings of :meth:`study_stability`, as keyword
        arguments of :meth:`train`."""
        return [spec for _, kwargs in self._stability_retrains(variant, owner)
                for spec in self.retrain_specs(
                    owner, self.args.stability_seeds, **kwargs)]

    # ---------------------------------------------------------------- run
    def run(self, write=None):
        """Runs everything; ``write`` (if given) is called whenever there
        is more to report."""
        args = self.args
        write = write or (lambda: None)
        keys = [k for k in ROW_KEYS if k in args.rows]
        # 1. searches (the rows' first; stability's after)
        needed = []
        for key in keys:
            how = dict((r[0], r[2]) for r in ROWS)[key]
            variant = how.get('search') or how.get('matched') or \
                how.get('random')
            if variant is not None and variant not in needed:
                needed.append(variant)
        stability = [v for v in args.stability if v in needed]
        self.prefetch([self.search_spec(v, args.search_seeds[0])
                       for v in needed] +
                      [self.search_spec(v, seed) for v in stability
                       for seed in args.search_seeds])
        for variant in needed:
            self.search(variant, args.search_seeds[0])
        for variant in stability:
            for seed in args.search_seeds:
                self.search(variant, seed)
        self.check_searches_differ()
        # 2. the rows' architectures, their parameters and speed
        for key in keys:
            row = self.resolve(key)
            self.rows.append(row)
            if row['note']:
                self.say('row {}: skipped, {}'.format(key, row['note']))
        ready = [r for r in self.rows if not r['note']]
        if ready:
            self.say('benchmark: {} models, test phase, batch {} at {} '
                     '({} repeats)'.format(len(ready), args.bench_batch,
                                           args.bench_size,
                                           args.bench_repeat))
            self.measure(ready)
        write()
        # 3. the learning-rate grid on the holdout, 4. the seeds
        self.prefetch([spec for row in ready
                       for spec in self.grid_specs(row)])
        for row in ready:
            self.tune(row)
            self.say('row {}: holdout mIoU {} -> lr {}'.format(
                row['key'], ', '.join('{:g}: {}'.format(
                    g['lr'], _fmt_miou(g['holdout_miou']))
                    for g in row['grid']), row['tuned_lr']))
            write()
        by_key = {r['key']: r for r in self.rows}
        self.prefetch([spec for row in ready if row['tuned_lr'] is not None
                       for spec in self.retrain_specs(row, args.seeds)] +
                      [spec for variant in stability
                       for spec in self.stability_specs(
                           variant, by_key.get(SEARCH_ROW[variant]))])
        for row in ready:
            if row['tuned_lr'] is None:
                row['note'] = 'every learning rate of the grid diverged'
                continue
            row['runs'] = self.retrain(row, args.seeds)
            self.summarise(row)
            self.say('row {}: val mIoU {}'.format(row['key'],
                                                  _fmt_mean(row)))
            write()
        # 5. stability
        for variant in stability:
            self.study_stability(variant, by_key.get(SEARCH_ROW[variant]))
            write()
        return self.result()

    def result(self):
        """Everything, as plain data (JSON)."""
        args = self.args
        rows = []
        for row in self.rows:
            r = {k: v for k, v in row.items() if k != 'overrides'}
            r['arch_file'] = _rel(r.get('arch_file'), self.out)
            rows.append(r)
        searches = []
        for (variant, seed), rec in sorted(self.searches.items()):
            s = {k: v for k, v in rec.items() if k != 'connectivity'}
            s['arch_file'] = _rel(s.get('arch_file'), self.out)
            searches.append(s)
        ran = [t for t in self.trainings if not t['cached']]
        return {
            'config': os.path.abspath(args.config),
            'overrides': self.overrides,
            'base_config': self.base,
            'protocol': {
                'rows': [r['key'] for r in self.rows],
                'seeds': list(args.seeds),
                'search_seeds': list(args.search_seeds),
                'stability': list(args.stability),
                'stability_seeds': list(args.stability_seeds),
                'lr_grid': list(args.lr_grid),
                'holdout': args.holdout,
                'n_train': self.n_train, 'n_val': self.n_val,
                'n_class': self.n_class,
                'selection': 'decoder lr: the largest final holdout mIoU '
                             '(dataset.holdout: the last examples of the '
                             'training split); the val split is not read '
                             'for it',
                'level_window': args.level_window,
                'level_threshold': args.level_threshold,
                'quick': args.quick,
                'jobs': args.jobs if args.gpu < 0 else 1,
            },
            'rows': rows,
            'searches': searches,
            'stability': self.stability,
            'warnings': self.warnings,
            'benchmark': self.benchmark,
            'trainings': self.trainings,
            'timing': {
                'elapsed_s': time.time() - self.started,
                'trainings': len(self.trainings),
                'ran': len(ran),
                'cached': len(self.trainings) - len(ran),
                'training_s': sum(t['time_s'] or 0 for t in ran),
                # with the reused ones (their train_status.json)
                'training_s_all': sum(t['time_s'] or 0
                                      for t in self.trainings),
            },
            'device': device_name(args.gpu),
            'date': datetime.datetime.now().isoformat(timespec='seconds'),
            'command': ' '.join([os.path.relpath(__file__, ROOT)] +
                                (args.argv if args.argv is not None
                                 else sys.argv[1:])),
        }


def _rel(path, start):
    if path is None:
        return None
    return os.path.relpath(path, start)


def _fmt_miou(x):
    return '-' if x is None else '{:.2f}'.format(100 * x)


def _fmt_change(level):
    if level is None or level.get('relative_change') is None:
        return 'change -'
    return '{:+.1f}% over the last {} log entries{}'.format(
        100 * level['relative_change'], level['window'],
        '' if level['levelled'] else ' (not levelled)')


def _fmt_mean(row):
    if not row.get('n'):
        return '-'
    text = '{:.2f}'.format(100 * row['miou_mean'])
    if row['miou_std'] is not None:
        text += ' ± {:.2f}'.format(100 * row['miou_std'])
    return text + ' ({})'.format(row['n'])


def _fmt_params(row):
    """The paper's ``2.22+0.56M``, and the exact encoder+decoder counts
    (the scaled-down models' are too small for two decimals of M)."""
    p = row.get('parameters')
    if p is None:
        return '-'
    text = '{} ({:,}+{:,})'.format(p['paper_format'], p['encoder'],
                                   p['decoder'])
    others = row.get('parameters_per_seed')
    if others:
        decs = [q['decoder'] for q in others]
        encs = [q['encoder'] for q in others]
        if min(decs) != max(decs) or min(encs) != max(encs):
            return '{} (seeds: {:,}-{:,} + {:,}-{:,})'.format(
                p['paper_format'], min(encs), max(encs), min(decs),
                max(decs))
    return text


def _fmt_levelled(row):
    lev = row.get('levelled')
    if not lev or not lev['of']:
        return '-'
    word = 'yes' if lev['levelled'] == lev['of'] else 'no'
    change = lev['max_abs_change']
    return '{} {}/{}{}'.format(
        word, lev['levelled'], lev['of'],
        '' if change is None else ' (max {:.1f}%)'.format(100 * change))


def format_report(result):
    """The markdown report: the table, the grid, the stability study.

    Args:
        result (dict): :meth:`Table1.result`.

    Returns:
        str: markdown.

    """
    p = result['protocol']
    bench_info = result['benchmark'] or {}
    lines = [
        '# Table 1: decoders on one protocol',
        '',
        'config: `{}`{}; {} classes, {} training / {} val examples.'.format(
            os.path.relpath(result['config'], ROOT)
            if result['config'].startswith(ROOT) else result['config'],
            ' + ' + ' '.join(result['overrides']) if result['overrides']
            else '', p['n_class'], p['n_train'], p['n_val']),
        'mIoU: final val mIoU (%), mean ± sample std over retrain seeds {} '
        '(n); each row at the decoder lr with the best final mIoU on the '
        'last {} training examples held out (grid {}), never on val. '
        'Searches with seed {}.'.format(
            ' '.join(map(str, p['seeds'])), p['holdout'],
            ' '.join('{:g}'.format(x) for x in p['lr_grid']),
            p['search_seeds'][0] if p['search_seeds'] else '-'),
        'params: encoder+decoder (decoder = stages + head), as the paper '
        'counts them (the encoder without the stages the decoder does not '
        'read); images/s: test phase, batch {} at {}, median of {} '
        '({}); levelled: |mean loss of the last {:.0f}% of the log - the '
        '{:.0f}% before| / before < {:.0f}%, trainings of the row.'.format(
            bench_info.get('batch', '-'),
            'x'.join(map(str, bench_info.get('size', []))) or '-',
            bench_info.get('repeat', '-'), bench_info.get('device', '-'),
            100 * p['level_window'], 100 * p['level_window'],
            100 * p['level_threshold']),
        '',
        '| method | mIoU mean ± std (n) | params | images/s | connections '
        '| tuned lr | levelled | paper (VOC) |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for row in result['rows']:
        if row.get('note'):
            lines.append('| {} | {} | | | | | | |'.format(
                row['label'], 'not run: ' + row['note']))
            continue
        ips = row.get('images_per_s')
        lines.append('| {} | {} | {} | {} | {} | {} | {} | {} |'.format(
            row['label'], _fmt_mean(row), _fmt_params(row),
            '-' if ips is None else '{:.1f}'.format(ips),
            '-' if row.get('connections') is None else row['connections'],
            '-' if row.get('tuned_lr') is None else
            '{:g}'.format(row['tuned_lr']),
            _fmt_levelled(row),
            '-' if row['paper_miou'] is None else
            '{:.2f}'.format(row['paper_miou'])))
    # per seed
    lines += ['', '## Per seed (val mIoU %)', '',
              '| method | ' + ' | '.join('seed {}'.format(s)
                                        for s in p['seeds']) + ' |',
              '|---|' + '---|' * len(p['seeds'])]
    for row in result['rows']:
        runs = {r['seed']: r for r in row.get('runs', [])}
        lines.append('| {} | {} |'.format(row['label'], ' | '.join(
            ('FAILED' if runs[s]['failed'] else _fmt_miou(runs[s]['val_miou']))
            if s in runs else '-' for s in p['seeds'])))
    # grid
    lines += ['', '## Learning-rate grid (final holdout mIoU %)', '',
              '| method | ' + ' | '.join('lr {:g}'.format(x)
                                        for x in p['lr_grid']) +
              ' | chosen |', '|---|' + '---|' * (len(p['lr_grid']) + 1)]
    for row in result['rows']:
        grid = {g['lr']: g for g in row.get('grid', [])}
        cells = []
        for lr in p['lr_grid']:
            g = grid.get(lr)
            cells.append('-' if g is None else 'diverged' if g['failed']
                         else _fmt_miou(g['holdout_miou']))
        lines.append('| {} | {} | {} |'.format(
            row['label'], ' | '.join(cells),
            '-' if row.get('tuned_lr') is None else
            '{:g}'.format(row['tuned_lr'])))
    # rows built from a search
    extra = []
    for row in result['rows']:
        if row.get('matched'):
            m = row['matched']
            extra.append('- {}: depth {} -> {:,} decoder parameters (target '
                         '{:,}, the searched decoder at the config\'s '
                         'depth).'.format(row['label'], m['channels'],
                                          m['decoder_params'],
                                          m['target_decoder_params']))
        if row.get('random'):
            extra.append('- {}: {} connections, model.random_seed = the '
                         'retrain seed (the params/images/s columns show '
                         'seed {}\'s).'.format(
                             row['label'], row['random']['connections'],
                             p['seeds'][0] if p['seeds'] else '-'))
    if extra:
        lines += [''] + extra
    # searches
    if result['searches']:
        lines += ['', '## Searches', '',
                  '| search | seed | connections kept | task loss levelled '
                  '| sparse loss change |', '|---|---|---|---|---|']
        for s in result['searches']:
            lines.append('| {} | {} | {} | {} | {} |'.format(
                s['variant'], s['seed'],
                'diverged' if s['failed'] else s['n_connections'],
                _fmt_change(s['loss']), _fmt_change(s.get('sparse_loss'))))
    for variant, st in result['stability'].items():
        lines += ['', '## Search stability: {} (seeds {})'.format(
            variant, ' '.join(map(str, st['search_seeds']))), '']
        lines.append('connections kept: ' + ', '.join(
            'seed {}: {}'.format(s, n) for s, n in
            st['n_connections'].items()))
        if st['failed']:
            lines.append('diverged: ' + ', '.join(st['failed']))
        lines.append('')
        lines.append('pairwise Jaccard of the kept sets: ' + ', '.join(
            '{}-{}: {:.2f}'.format(pair['seeds'][0], pair['seeds'][1],
                                   pair['jaccard'])
            for pair in st['pairwise_jaccard']) + (
            '; mean {:.2f}'.format(st['mean_jaccard'])
            if st['mean_jaccard'] is not None else ''))
        lines.append('')
        freq = st['selection_frequency']
        always = [c for c, f in freq.items() if f == 1]
        some = [(c, f) for c, f in freq.items() if f < 1]
        lines.append('selection frequency: kept by every search ({}): '
                     '{}'.format(len(always), ' '.join(always) or '-'))
        lines.append('')
        lines.append('kept by some ({}): {}'.format(len(some), ', '.join(
            '{} {:.2f}'.format(c, f) for c, f in some) or '-'))
        if st['retrained']:
            lines += ['', 'retrained (lr {:g}, val mIoU %):'.format(
                st['retrain_lr']), '']
            for r in st['retrained']:
                lines.append('- search seed {} ({} connections): {}'.format(
                    r['search_seed'], r['n_connections'], ', '.join(
                        'seed {}: {}'.format(
                            x['seed'], 'FAILED' if x['failed']
                            else _fmt_miou(x['val_miou']))
                        for x in r['runs'])))
    if result['warnings']:
        lines += ['', '## Warnings', ''] + [
            '- ' + w for w in result['warnings']]
    t = result['timing']
    lines += ['', 'trainings: {} ({:.0f} s of training in all); run '
              'now: {} ({:.0f} s, {} at a time), reused: {}; elapsed {:.0f} '
              's; {}.'.format(
                  t['trainings'], t.get('training_s_all', 0), t['ran'],
                  t['training_s'], p.get('jobs', 1), t['cached'],
                  t['elapsed_s'], result['date'])]
    return '\n'.join(lines) + '\n'


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
    parser.add_argument('--rows', nargs='+', default=list(ROW_KEYS),
                        choices=ROW_KEYS, metavar='ROW',
                        help='rows to run, of: {} (default: all)'.format(
                            ' '.join(ROW_KEYS)))
    parser.add_argument('--seeds', type=int, nargs='+',
                        default=[10, 11, 12],
                        help='retrain seeds (train.seed) of every row, at '
                        'least 3 and none a search seed (default: '
                        '%(default)s)')
    parser.add_argument('--search-seeds', type=int, nargs='+',
                        default=[0, 1, 2],
                        help='search seeds; the first makes the rows, all '
                        'go into the stability study (default: '
                        '%(default)s)')
    parser.add_argument('--stability', nargs='*', default=['sparse'],
                        choices=sorted(SEARCHES), metavar='SEARCH',
                        help='search variants of the stability study, of: '
                        '{} (default: sparse; none: no study)'.format(
                            ' '.join(sorted(SEARCHES))))
    parser.add_argument('--stability-seeds', type=int, nargs='+',
                        default=None,
                        help='retrain seeds of each found architecture '
                        '(default: the first of --seeds)')
    parser.add_argument('--lr-grid', type=float, nargs='+', default=None,
                        help='decoder learning rates tried on the holdout '
                        '(default: 0.01 0.03 0.1)')
    parser.add_argument('--holdout', type=int, default=None,
                        help='training examples held out for the grid '
                        '(default: 10%% of the training split, at most the '
                        'size of the val split)')
    parser.add_argument('--level-window', type=float, default=0.2,
                        help='loss levelling: the fraction of the log in '
                        'each window (default: %(default)s)')
    parser.add_argument('--level-threshold', type=float, default=0.05,
                        help='loss levelling: the largest relative change '
                        '(default: %(default)s)')
    parser.add_argument('--bench-size', default=None,
                        help='images/s: input H or HxW (default: '
                        'dataset.size for the synthetic data, else 512)')
    parser.add_argument('--bench-batch', type=int, default=1,
                        help='images/s: batch (default: %(default)s)')
    parser.add_argument('--bench-repeat', type=int, default=None,
                        help='images/s: timed runs, the median is kept '
                        '(default: 5)')
    parser.add_argument('--gpu', type=int, default=-1,
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
    parser = make_parser()
    args = parser.parse_intermixed_args(argv)
    args.argv = argv
    defaults = QUICK if args.quick else NORMAL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.stability_seeds is None:
        args.stability_seeds = args.seeds[:1]
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


def main(argv=None):
    args = None
    try:
        args = parse_args(argv)
        run(args)
    except Exception as e:
        debug = debug_requested(args.debug if args is not None else False)
        sys.exit(report_failure(e, debug=debug))


def run(args, say=None):
    """Runs the table; returns :meth:`Table1.result`.

    Args:
        args (argparse.Namespace): :func:`parse_args`'s.
        say (callable): prints a progress line (default: print, flushed).

    """
    say = say or (lambda text: print(text, flush=True))
    return _run(args, say)


def _run(args, say):
    table = Table1(args, say)
    table.start_workers()
    try:
        return _run_table(table, args, say)
    finally:
        table.stop_workers()


def _run_table(table, args, say):
    if args.bench_size is None:
        args.bench_size = str(table.base['dataset']['size']) \
            if table.base['dataset']['name'] == 'synthetic' else '512'
    os.makedirs(table.out, exist_ok=True)
    json_path = os.path.join(table.out, 'table1.json')
    md_path = os.path.join(table.out, 'table1.md')

    def write():
        result = table.result()
        atomic_write_text(json_path, json.dumps(
            result, indent=2, default=_json_default) + '\n')
        atomic_write_text(md_path, format_report(result))
        return result

    say('table 1: rows {}; seeds {}; search seeds {}; lr grid {}; holdout '
        '{} of {} training examples; out {}'.format(
            ' '.join(k for k in ROW_KEYS if k in args.rows),
            ' '.join(map(str, args.seeds)),
            ' '.join(map(str, args.search_seeds)),
            ' '.join('{:g}'.format(x) for x in args.lr_grid),
            args.holdout, table.n_train, table.out))
    table.run(write)
    result = write()
    say('')
    say(format_report(result))
    say('wrote {} and {}'.format(md_path, json_path))
    return result


def _json_default(x):
    if isinstance(x, (numpy.integer,)):
        return int(x)
    if isinstance(x, (numpy.floating,)):
        return float(x)
    if isinstance(x, (set, frozenset)):
        return sorted(x)
    if isinstance(x, float) and math.isnan(x):
        return None
    raise TypeError('not JSON serialisable: {!r}'.format(type(x)))


if __name__ == '__main__':
    main()
