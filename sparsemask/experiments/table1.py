"""The paper's Table 1 (Sec. 4.2): decoders compared on one protocol, each
with its own tuned learning rate and several seeds.

:class:`Table1` runs the protocol: the searches the rows are made from,
the rows' models measured, each row's learning-rate grid on a holdout of
the training split, its retrainings with each seed, and the stability
study of the searches. :func:`run_table1` runs it and writes
``table1.json`` and ``table1.md``. ``eval/table1.py`` is its command line;
its help describes the protocol in full.
"""

import datetime
import json
import os
import sys
import time

from sparsemask.benchmarks import device_name
from sparsemask.experiments.decoder_size import decoder_params
from sparsemask.experiments.decoder_size import matched_channels
from sparsemask.experiments.learning_rate_grid import choose_lr
from sparsemask.experiments.learning_rate_grid import grid_entry
from sparsemask.experiments.learning_rate_grid import grid_specs
from sparsemask.experiments.learning_rate_grid import grid_summary
from sparsemask.experiments.retrain_seeds import retrain_specs
from sparsemask.experiments.retrain_seeds import seed_result
from sparsemask.experiments.retrain_seeds import summarise_runs
from sparsemask.experiments.search_stability import retrained_entry
from sparsemask.experiments.search_stability import stability_retrains
from sparsemask.experiments.search_stability import stability_study
from sparsemask.experiments.table1_benchmark import measure_rows
from sparsemask.experiments.table1_options import ALWAYS
from sparsemask.experiments.table1_pilot import PilotRefusedError
from sparsemask.experiments.table1_pilot import run_pilot
from sparsemask.experiments.table1_options import QUICK_OVERRIDES
from sparsemask.experiments.table1_report import format_mean
from sparsemask.experiments.table1_report import format_miou
from sparsemask.experiments.table1_report import format_report
from sparsemask.experiments.table1_report import json_default
from sparsemask.experiments.table1_rows import fixed_row
from sparsemask.experiments.table1_rows import MAIN_ROWS
from sparsemask.experiments.table1_rows import matched_row
from sparsemask.experiments.table1_rows import needed_searches
from sparsemask.experiments.table1_rows import new_row
from sparsemask.experiments.table1_rows import random_row
from sparsemask.experiments.table1_rows import ROW_KEYS
from sparsemask.experiments.table1_rows import row_how
from sparsemask.experiments.table1_rows import SEARCH_ROW
from sparsemask.experiments.table1_rows import searched_row
from sparsemask.experiments.table1_searches import add_architecture
from sparsemask.experiments.table1_searches import identical_search_warnings
from sparsemask.experiments.table1_searches import search_spec
from sparsemask.experiments.table1_searches import unrunnable_search
from sparsemask.experiments.training_runner import StaleRunError
from sparsemask.experiments.training_runner import TrainingRunner
from sparsemask.training.build_dataset import SPLITS
from sparsemask.training.build_datasets import build_datasets
from sparsemask.training.build_model import build_model
from sparsemask.training.config import ConfigError
from sparsemask.training.config import load_config
from sparsemask.utils.atomic_write import atomic_write_text
from sparsemask.utils.one_line import one_line
from sparsemask.utils.paired_difference import paired_difference

#: the script recorded in the result's ``command``
SCRIPT = os.path.join('eval', 'table1.py')


class Table1(object):
    """Runs the trainings of the table and collects the results.

    Args:
        args (argparse.Namespace): the options, checked
            (:func:`~sparsemask.experiments.table1_options.check_options`
            or :func:`~sparsemask.experiments.table1_options.table1_options`);
            ``args.holdout`` is set when it is None.
        say (callable): prints a progress line.
        script (str): the command recorded in the result, before
            ``args.argv``.

    """

    def __init__(self, args, say=print, script=SCRIPT):
        self.args = args
        self.say = say
        self.script = script
        self.out = os.path.abspath(args.out)
        self.overrides = (QUICK_OVERRIDES if args.quick else []) + list(
            args.overrides)
        self.base = self.config([])
        self.searches = {}
        self.rows = []
        self.stability = {}
        self.benchmark = None
        self.pilot = None
        self.warnings = []
        self.started = time.time()
        self._decoder_params = {}
        train, val, label_names = build_datasets(self.base['dataset'])
        self.n_class = len(label_names)
        self.n_train = len(train)
        self.n_val = len(val)
        dataset = self.base['dataset']
        #: a data set with a test split: tuned on val, reported on test
        self.test_split = 'test' if 'test' in (
            SPLITS.get(dataset['name']) or ()) and \
            dataset['val_split'] == 'val' else None
        self.n_test = None
        # every retraining's log has the val split's mIoU (the grid's) and
        # its confusion.json the test split's (the table's): a grid
        # training at the chosen rate is also that seed's retraining
        self.runner = TrainingRunner(
            self.out, self.config, gpu=args.gpu, jobs=args.jobs,
            level_window=args.level_window,
            level_threshold=args.level_threshold, say=say,
            confusion_split=self.test_split)
        if self.test_split:
            args.holdout = None
            self.n_test = len(build_datasets(dict(
                dataset, val_split=self.test_split))[1])
        elif args.holdout is None:
            # 10% of the training split, at most as many as the val split
            args.holdout = max(1, min(self.n_train // 10, self.n_val))
        if args.holdout is not None and args.holdout >= self.n_train:
            raise ConfigError('--holdout {}: expected fewer than the {} '
                              'training examples'.format(args.holdout,
                                                         self.n_train))

    @property
    def trainings(self):
        """list of dict: the record of every training so far."""
        return self.runner.trainings

    def config(self, extra):
        """The resolved config of a training.

        Args:
            extra (list of str): overrides after ``--config``, the --quick
                and the command-line overrides.

        Returns:
            dict: the config.

        Raises:
            ConfigError: it is not valid, or not a segmentation task.

        """
        always = ALWAYS + ([] if self.args.plots else ['log.plots=false'])
        config = load_config(self.args.config,
                             self.overrides + always + list(extra))
        if config['task'] != 'segmentation':
            raise ConfigError(
                'task = {!r}: the table compares segmentation decoders by '
                'mIoU (task: segmentation)'.format(config['task']))
        return config

    # ------------------------------------------------------------ searches
    def search(self, variant, seed):
        """Runs (or reuses) one search.

        Args:
            variant (str): the search variant.
            seed (int): its seed.

        Returns:
            dict: its record, with the architecture it found
            (:func:`~sparsemask.experiments.table1_searches.add_architecture`).

        """
        key = (variant, seed)
        if key in self.searches:
            return self.searches[key]
        try:
            record = dict(self.runner.train(**search_spec(variant, seed)))
        except StaleRunError:
            raise
        except ConfigError as e:
            # e.g. a search option this version does not have
            record = unrunnable_search(variant, seed, e)
            self.say('search {} seed {}: {}'.format(
                variant, seed, record['failed']))
        self.searches[key] = add_architecture(record, self.out)
        return record

    def check_searches_differ(self):
        """Warns when two search variants with the same seed ended with
        the same connection weights."""
        for text in identical_search_warnings(self.searches, self.out):
            self.warnings.append(text)
            self.say('warning: ' + text)

    # ---------------------------------------------------------------- rows
    def decoder_params(self, extra):
        """Decoder (stages + head) parameters of a retrained model.

        Args:
            extra (list of str): the model's overrides.

        Returns:
            int: the number of parameters.

        """
        key = tuple(extra)
        if key not in self._decoder_params:
            config = self.config(list(extra) +
                                 ['model.pretrained_model=null'])
            self._decoder_params[key] = decoder_params(
                build_model(config['model'], 'retrain', self.n_class))
        return self._decoder_params[key]

    def matched_channels(self, target):
        """The decoder depth at which the full FDN's decoder is closest to
        ``target`` parameters.

        Args:
            target (int): the parameters.

        Returns:
            tuple: ``(channels, decoder parameters)``.

        """
        return matched_channels(
            lambda c: self.decoder_params(['model.arch=full',
                                           'model.channels={}'.format(c)]),
            target, self.base['model']['channels'])

    def resolve(self, key):
        """How a row's trainings are made.

        Args:
            key (str): the row.

        Returns:
            dict: the row (see :mod:`sparsemask.experiments.table1_rows`);
            its ``note`` says why it is not run: its search failed, or its
            model cannot be built (a ConfigError), e.g. a baseline this
            version does not have.

        """
        try:
            row = self._resolve(key)
            if not row['note']:
                # can it be built?
                self.decoder_params(row['overrides'](self.args.seeds[0]))
        except StaleRunError:
            raise
        except ConfigError as e:
            row = new_row(key, 'cannot be built: {}'.format(one_line(e)))
        return row

    def _resolve(self, key):
        how = row_how(key)
        if 'arch' in how:
            return fixed_row(key)
        variant = how.get('search') or how.get('matched') or how['random']
        main_seed = self.args.search_seeds[0]
        if 'search' in how:
            # the row takes the architectures of every search seed in turn
            found = [self.search(variant, seed)
                     for seed in self.args.search_seeds]
            ok = [f for f in found if not f['failed']]
            if not ok:
                return new_row(key, 'its searches ({} seeds {}) failed: '
                               '{}'.format(variant, ' '.join(
                                   map(str, self.args.search_seeds)),
                                   found[0]['failed']))
            for f in found:
                if f['failed']:
                    self.warnings.append(
                        'row {}: search {} seed {} failed ({}); the row '
                        'uses the other seeds\' architectures'.format(
                            key, variant, f['seed'], f['failed']))
            return searched_row(key, ok)
        found = self.search(variant, main_seed)
        if found['failed']:
            return new_row(key, 'its search ({} seed {}) failed: {}'.format(
                variant, main_seed, found['failed']))
        if 'matched' in how:
            target = self.decoder_params(
                ['model.arch=' + found['arch_file']])
            channels, params = self.matched_channels(target)
            return matched_row(key, found, target, channels, params)
        return random_row(key, found)

    def tune(self, row):
        """Runs the learning-rate grid of a row, on the holdout.

        Args:
            row (dict): the row; gets ``grid`` and ``tuned_lr``.

        Returns:
            float or None: the chosen learning rate.

        """
        grid = grid_summary([grid_entry(spec, self.runner.train(**spec))
                             for spec in self._grid_specs(row)])
        row['grid'] = grid
        row['tuned_lr'] = choose_lr(grid)
        return row['tuned_lr']

    def _grid_specs(self, row):
        return grid_specs(row, self.args.lr_grid, self.args.holdout,
                          self.args.seeds[:self.args.grid_seeds])

    def row_seeds(self, row):
        """The retrain seeds of a row: all for :data:`MAIN_ROWS`, the
        first ``--other-seeds`` for the others."""
        if row['key'] in MAIN_ROWS:
            return list(self.args.seeds)
        return list(self.args.seeds[:self.args.other_seeds])

    def retrain(self, row, seeds, **kwargs):
        """Trains at the row's tuned learning rate with each seed and
        evaluates on the split the table reports (the test split's
        confusion matrix when the data set has one, else the val split).

        Args:
            row (dict): the row, tuned.
            seeds (list of int): the seeds.
            **kwargs: the architecture, if not the row's (see
                :func:`~sparsemask.experiments.retrain_seeds.retrain_specs`).

        Returns:
            list of dict: each seed's result.

        """
        return [seed_result(spec, self.runner.train(**spec))
                for spec in retrain_specs(row, seeds, **kwargs)]

    def measure(self, rows):
        """Parameters, connections and test-phase images/s of each row's
        model (:func:`~sparsemask.experiments.table1_benchmark.measure_rows`).

        Args:
            rows (list of dict): the rows.

        """
        args = self.args
        self.benchmark = measure_rows(
            rows, self.config, self.n_class, args.seeds, gpu=args.gpu,
            size=args.bench_size, batch=args.bench_batch,
            repeat=args.bench_repeat)

    # ------------------------------------------------------------ stability
    def study_stability(self, variant, owner):
        """The stability study of a search variant.

        Args:
            variant (str): the search variant.
            owner (dict): the row that retrains its architectures (its
                tuned learning rate), or None.

        Returns:
            dict: :func:`~sparsemask.experiments.stability_study`'s, with
            the found architectures retrained (``retrained``,
            ``retrain_lr``) when the owner was tuned.

        """
        found = [self.search(variant, s) for s in self.args.search_seeds]
        result = stability_study(variant, self.args.search_seeds, found)
        if not self.args.stability_seeds and owner and owner.get('runs'):
            # the row's own retrainings, by the search they retrained
            result['retrain_lr'] = owner['tuned_lr']
            for f in found:
                if not f['failed']:
                    result['retrained'].append(retrained_entry(f, [
                        r for r in owner['runs']
                        if r.get('search_seed') == f['seed']]))
        retrains = stability_retrains(variant, found, owner) \
            if self.args.stability_seeds else []
        for f, kwargs in retrains:
            result['retrain_lr'] = owner['tuned_lr']
            runs = self.retrain(owner, self.args.stability_seeds, **kwargs)
            result['retrained'].append(retrained_entry(f, runs))
        self.stability[variant] = result
        return result

    def _stability_specs(self, variant, owner):
        found = [self.search(variant, s) for s in self.args.search_seeds]
        return [spec for _, kwargs in stability_retrains(variant, found,
                                                         owner)
                for spec in retrain_specs(owner, self.args.stability_seeds,
                                          **kwargs)]

    # ---------------------------------------------------------------- run
    def run(self, write=None):
        """Runs everything.

        Args:
            write (callable): called whenever there is more to report.

        Returns:
            dict: :meth:`result`.

        """
        args = self.args
        runner = self.runner
        write = write or (lambda: None)
        keys = [k for k in ROW_KEYS if k in args.rows]
        # 0. the pilot gate
        if args.pilot_gate:
            self.pilot = run_pilot(self, self.say)
            write()
            if not self.pilot['passed']:
                raise PilotRefusedError(
                    'the pilot refuses the full run ({}): {}; change the '
                    'config, or run with --no-pilot-gate'.format(
                        os.path.join(self.out, 'pilot.json'), '; '.join(
                            c['text'] for c in self.pilot['checks']
                            if not c['passed'])))
        # 1. searches (the rows' first; stability's after)
        needed = needed_searches(keys)
        stability = [v for v in args.stability if v in needed]
        # a searched row takes every search seed's architecture
        every = [v for v in needed if v in stability or any(
            row_how(k).get('search') == v for k in keys)]
        runner.prefetch([search_spec(v, args.search_seeds[0])
                         for v in needed] +
                        [search_spec(v, seed) for v in every
                         for seed in args.search_seeds])
        for variant in needed:
            self.search(variant, args.search_seeds[0])
        for variant in every:
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
        runner.prefetch([spec for row in ready
                         for spec in self._grid_specs(row)])
        for row in ready:
            self.tune(row)
            self.say('row {}: holdout mIoU {} -> lr {}'.format(
                row['key'], ', '.join('{:g}: {}'.format(
                    g['lr'], format_miou(g['holdout_miou']))
                    for g in row['grid']), row['tuned_lr']))
            write()
        by_key = {r['key']: r for r in self.rows}
        runner.prefetch([spec for row in ready if row['tuned_lr'] is not None
                         for spec in retrain_specs(
                             row, self.row_seeds(row))] +
                        [spec for variant in stability
                         for spec in self._stability_specs(
                             variant, by_key.get(SEARCH_ROW[variant]))])
        for row in ready:
            if row['tuned_lr'] is None:
                row['note'] = 'every learning rate of the grid diverged'
                continue
            row['runs'] = self.retrain(row, self.row_seeds(row))
            summarise_runs(row, args.level_threshold)
            self.say('row {}: val mIoU {}'.format(row['key'],
                                                  format_mean(row)))
            write()
        # 5. stability
        for variant in stability:
            self.study_stability(variant, by_key.get(SEARCH_ROW[variant]))
            write()
        return self.result()

    def comparisons(self, reference='sparsemask'):
        """SparseMask against each other row, paired by retrain seed (the
        same seed: the same initial decoder and data order).

        Args:
            reference (str): the row compared with the others.

        Returns:
            list of dict: per other row with runs, ``row``, ``label`` and
            :func:`~sparsemask.utils.paired_difference.paired_difference`'s
            figures of reference - row.
        """
        by_key = {r['key']: r for r in self.rows if r.get('runs')}
        if reference not in by_key:
            return []

        def mious(row):
            return {r['seed']: r['val_miou'] for r in row['runs']}

        ref = mious(by_key[reference])
        return [dict(paired_difference(ref, mious(row)), row=row['key'],
                     label=row['label'], reference=reference)
                for key, row in by_key.items() if key != reference]

    def result(self):
        """Everything, as plain data (``table1.json``).

        Returns:
            dict: ``config``, ``overrides``, ``base_config``, ``protocol``,
            ``rows``, ``searches``, ``stability``, ``warnings``,
            ``benchmark``, ``trainings``, ``timing``, ``device``, ``date``
            and ``command``.

        """
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
        trainings = self.trainings
        ran = [t for t in trainings if not t['cached']]
        return {
            'config': os.path.abspath(args.config),
            'overrides': self.overrides,
            'base_config': self.base,
            'protocol': {
                'rows': [r['key'] for r in self.rows],
                'seeds': list(args.seeds),
                'main_rows': [k for k in MAIN_ROWS
                              if k in [r['key'] for r in self.rows]],
                'other_seeds': args.other_seeds,
                'grid_seeds': list(args.seeds[:args.grid_seeds]),
                'tune_split': 'val' if self.test_split else
                'holdout of the training split',
                'eval_split': self.test_split or 'val',
                'n_test': self.n_test,
                'search_seeds': list(args.search_seeds),
                'stability': list(args.stability),
                'stability_seeds': list(args.stability_seeds),
                'lr_grid': list(args.lr_grid),
                'holdout': args.holdout,
                'n_train': self.n_train, 'n_val': self.n_val,
                'n_class': self.n_class,
                'selection': (
                    'decoder lr: the largest mean final mIoU over the grid '
                    'seeds on the val split; the test split is not read '
                    'for it' if self.test_split else
                    'decoder lr: the largest mean final holdout mIoU over '
                    'the grid seeds (dataset.holdout: the last examples of '
                    'the training split); the val split is not read for '
                    'it'),
                'level_window': args.level_window,
                'level_threshold': args.level_threshold,
                'quick': args.quick,
                'jobs': args.jobs if args.gpu < 0 else 1,
            },
            'rows': rows,
            'comparisons': self.comparisons(),
            'pilot': self.pilot,
            'searches': searches,
            'stability': self.stability,
            'warnings': self.warnings,
            'benchmark': self.benchmark,
            'trainings': trainings,
            'timing': {
                'elapsed_s': time.time() - self.started,
                'trainings': len(trainings),
                'ran': len(ran),
                'cached': len(trainings) - len(ran),
                'training_s': sum(t['time_s'] or 0 for t in ran),
                # with the reused ones (their train_status.json)
                'training_s_all': sum(t['time_s'] or 0 for t in trainings),
            },
            'device': device_name(args.gpu),
            'date': datetime.datetime.now().isoformat(timespec='seconds'),
            'command': ' '.join([self.script] +
                                (args.argv if args.argv is not None
                                 else sys.argv[1:])),
        }


def _rel(path, start):
    if path is None:
        return None
    return os.path.relpath(path, start)


def run_table1(args, say=None, repo_root=None, script=SCRIPT):
    """Runs the table and writes ``OUT/table1.json`` and ``OUT/table1.md``
    (after each step, and at the end); prints the report.

    Args:
        args (argparse.Namespace): the checked options (see
            :class:`Table1`); ``args.bench_size`` is set when it is None
            (the data's size for the synthetic data sets, else 512).
        say (callable): prints a progress line (default: print, flushed).
        repo_root (str): the report shows the config relative to it.
        script (str): the command recorded in the result.

    Returns:
        dict: :meth:`Table1.result`.

    """
    say = say or (lambda text: print(text, flush=True))
    table = Table1(args, say, script=script)
    table.runner.start_workers()
    try:
        return _run(table, args, say, repo_root)
    finally:
        table.runner.stop_workers()


def _run(table, args, say, repo_root):
    if args.bench_size is None:
        args.bench_size = str(table.base['dataset']['size']) \
            if table.base['dataset']['name'] in ('synthetic', 'benchmark') \
            else '512'
    os.makedirs(table.out, exist_ok=True)
    if args.pilot:
        table.pilot = run_pilot(table, say)
        return table.result()
    json_path = os.path.join(table.out, 'table1.json')
    md_path = os.path.join(table.out, 'table1.md')

    def write():
        result = table.result()
        atomic_write_text(json_path, json.dumps(
            result, indent=2, default=json_default) + '\n')
        atomic_write_text(md_path, format_report(result, repo_root))
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
    say(format_report(result, repo_root))
    say('wrote {} and {}'.format(md_path, json_path))
    return result
