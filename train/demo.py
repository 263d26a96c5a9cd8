"""The embedded demo: search -> prune -> retrain -> evaluate on CPU.

On the synthetic Table 1 benchmark (configs/table1_benchmark.yaml: 96x96
images, a MobileNetV2 of width 0.35 pretrained on the benchmark's
image-level labels, shipped with the package): searches the connectivity of
the decoder, prunes it, retrains the searched architecture and, for
comparison, three hand-designed decoders of the same search space (the full
Fully Dense Network, U-Net and FCN) with the same schedule, then evaluates
them on the validation set, in Chainer and, when
ONNX Runtime is installed (the ``onnx`` extra, part of ``make demo``'s
environment), exported to ONNX in ONNX Runtime. The retrainings run
``--jobs`` at a time, each in a worker process with one thread (default: one
per core).

Every row has the config's decoder learning rate, the same for all, which
is not tuned for any of them: the table says so. ``eval/table1.py`` is the
fair comparison (a learning rate tuned per row on the val split, five
seeds, 95% intervals, on the test split). The demo prints its ranking with
the rows that are closer than one training's spread in the committed
Table 1 (``eval/results/table1_benchmark/table1.json``) tied, and says how
far one training may be from its Table 1 mean.

Everything goes to ``result/demo/`` (replaced on every run): ``arch.yaml``,
the weight heatmap ``connection_weights.png``, ``demo.log``,
``summary.json`` and one directory per training with its log, plots and
snapshots.
"""

import argparse
import json
import os
import shutil
import sys
import time

import numpy

import chainer

from sparsemask.benchmarks import onnx_runtime_available
from sparsemask.evaluations import evaluate_segmentation
from sparsemask.experiments.tied_ranking import format_ranking
from sparsemask.experiments.tied_ranking import tied_ranking
from sparsemask.training import build_datasets
from sparsemask.training import ConfigError
from sparsemask.training import load_config
from sparsemask.training import load_trained_model
from sparsemask.training import run_training
from sparsemask.training.check_launcher import check_launcher
from sparsemask.training.training_pool import available_cores
from sparsemask.training.training_pool import TrainingPool
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.utils.atomic_write import atomic_write_text
from sparsemask.utils.statistics import last_logged
from sparsemask.utils.reuse_freed_memory import reuse_freed_memory


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: the committed Table 1 on the same benchmark
TABLE1 = os.path.join(ROOT, 'eval', 'results', 'table1_benchmark',
                      'table1.json')
#: the demo's rows -> Table 1's
TABLE1_ROWS = {'searched': 'sparsemask', 'full FDN': 'full',
               'U-Net': 'unet', 'FCN': 'fcn'}


class Tee(object):
    """Writes to the terminal and, without terminal escape codes, to a log
    file."""

    def __init__(self, stream, path):
        self.stream = stream
        self.file = open(path, 'w')

    def write(self, text):
        self.stream.write(text)
        self.file.write(text.replace('\033[J', ''))

    def flush(self):
        self.stream.flush()
        self.file.flush()

    def isatty(self):
        return self.stream.isatty()


#: the retrained rows: (name, directory key, model.arch)
ROWS = (('searched', 'searched', None), ('full FDN', 'full', 'full'),
        ('U-Net', 'unet', 'unet'), ('FCN', 'fcn', 'fcn'))


def decoder_params(model):
    """Parameters of the decoder and the head, without the searched
    connection weights (they do not exist after pruning)."""
    return sum(p.size for name, p in model.namedparams()
               if not name.startswith('/backbone/')
               and not name.endswith('/w'))


def table1_spread(path=TABLE1):
    """How far one training may be from its Table 1 mean: twice the
    largest seed standard deviation of the demo's rows in Table 1.

    Args:
        path (str): the Table 1 JSON.

    Returns:
        tuple: ``(margin, text)``, the margin in mIoU (None without the
        file or its rows) and one line that says it.

    """
    if not os.path.isfile(path):
        return None, 'no committed Table 1 ({}): the ranking has no ' \
            'ties'.format(os.path.relpath(path, ROOT))
    with open(path) as f:
        rows = {r['key']: r for r in json.load(f)['rows']}
    stds = [(rows[k]['miou_std'], name) for name, k in TABLE1_ROWS.items()
            if rows.get(k, {}).get('miou_std') is not None]
    if not stds:
        return None, 'Table 1 has none of these rows: no ties'
    std, name = max(stds)
    return 2 * std, (
        'one training may be {:.1f} mIoU points from its row\'s mean in '
        'Table 1 ({}: twice the largest seed std, {}\'s); rows closer than '
        'that are tied'.format(100 * 2 * std, os.path.relpath(path, ROOT),
                               name))


def images_per_second(model, imgs, repeat=2):
    model.predict(imgs[:2])   # warm up
    best = float('inf')
    for _ in range(repeat):
        start = time.time()
        model.predict(imgs)
        best = min(best, time.time() - start)
    return len(imgs) / best


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--config', default=os.path.join(
        ROOT, 'configs', 'table1_benchmark.yaml'))
    parser.add_argument('--out', default=os.path.join(ROOT, 'result', 'demo'))
    parser.add_argument('--jobs', type=int, default=available_cores(),
                        help='retrainings run at a time, each in a worker '
                        'process with one thread; 1: one after the other in '
                        'this process (default: the number of cores, '
                        '%(default)s)')
    parser.add_argument('--debug', action='store_true',
                        help='print the traceback of every error')
    parser.add_argument('overrides', nargs='*', metavar='section.key=value')
    args = parser.parse_intermixed_args()
    reuse_freed_memory()
    try:
        demo(args)
    except Exception as e:
        sys.exit(report_failure(e, debug=debug_requested(args.debug)))


def _fresh_out(out):
    # the demo replaces its own previous output, and nothing else
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise ConfigError('--out {} exists and is not a directory'.format(
                out))
        if os.listdir(out) and not os.path.isfile(
                os.path.join(out, 'demo.log')):
            raise ConfigError(
                '--out {} is not empty and is not the output of an earlier '
                'demo (no demo.log): choose another --out'.format(out))
        shutil.rmtree(out)
    os.makedirs(out)


def demo(args):
    """Runs the demo.

    Args:
        args (argparse.Namespace): the parsed command line.

    """
    # two copies under mpiexec would delete each other's --out
    check_launcher(None, option=None)
    config = load_config(args.config, args.overrides)
    if config['task'] != 'segmentation':
        raise ConfigError(
            'task = {!r}: the demo compares segmentation decoders by mIoU; '
            'for saliency and edges run train/search.py and train/retrain.py '
            '(README, "Other tasks")'.format(config['task']))
    if args.jobs < 1:
        raise ConfigError('--jobs {}: expected a positive number'.format(
            args.jobs))
    _fresh_out(args.out)
    log = Tee(sys.stdout, os.path.join(args.out, 'demo.log'))
    start = time.time()

    def say(text):
        log.write(text + '\n')
        log.flush()

    say('== search: full FDN on MobileNetV2, {} iterations'.format(
        config['train']['iterations']))
    search = run_training(config, 'search', os.path.join(args.out, 'search'),
                          log=log)
    searched = search['connectivity']
    for name in ('arch.yaml', 'connection_weights.png',
                 'connection_weights.npz'):
        shutil.copy(os.path.join(args.out, 'search', name),
                    os.path.join(args.out, name))
    n = searched.n_stages
    say('== pruned: {} of {} connections kept (sigma={})'.format(
        searched.n_connections, n * (n + 1), config['train']['sigma']))
    say(searched.to_yaml())

    _, val, _ = build_datasets(config['dataset'])
    imgs = [val[i][0] for i in range(len(val))]
    retrains = [(name, arch, os.path.join(args.out, 'retrain_' + key))
                for name, key, arch in ROWS]
    retrains[0] = (retrains[0][0], os.path.join(args.out, 'arch.yaml'),
                   retrains[0][2])
    configs = [dict(config, model=dict(config['model'], arch=arch))
               for _, arch, _ in retrains]
    if args.jobs > 1:
        say('== retrain: {}; {} at a time, one thread each (progress in '
            'each retrain_*/train.log)'.format(
                ', '.join(name for name, _, _ in retrains), args.jobs))
        with TrainingPool(args.jobs) as pool:
            for i, status in pool.run([(c, 'retrain', out) for c, (
                    _, _, out) in zip(configs, retrains)]):
                say('   {} done in {:.0f} s'.format(retrains[i][0],
                                                   status['time_s']))
    else:
        for c, (name, _, out) in zip(configs, retrains):
            say('== retrain: {}'.format(name))
            run_training(c, 'retrain', out, log=log)
    rows = []
    lr = config['train']['lr_decoder']
    ort = onnx_runtime_available()
    if ort:
        say('== evaluating each row in Chainer and, exported to ONNX, in '
            'ONNX Runtime')
    for name, _, out in retrains:
        model, _ = load_trained_model(out)
        with open(os.path.join(out, 'log')) as f:
            miou = last_logged(json.load(f), 'val/main/miou')
        row = {
            'architecture': name,
            'miou': miou,
            'decoder_params': decoder_params(model),
            'connections': model.connectivity.n_connections,
            'images_per_s': images_per_second(model, imgs),
            'lr_decoder': lr,
            'lr_tuned': False,
        }
        if ort:
            from sparsemask.export import OnnxRuntimeModel
            runtime = OnnxRuntimeModel(model)
            row['miou_onnxruntime'] = evaluate_segmentation(
                runtime, val, model.n_class)['miou']
            row['images_per_s_onnxruntime'] = images_per_second(runtime,
                                                                imgs)
        rows.append(row)

    elapsed = time.time() - start
    say('')
    say('{:<12} {:>8} {:>16} {:>12} {:>10}  {}'.format(
        'architecture', 'mIoU', 'decoder params', 'connections',
        'images/s', 'decoder lr'))
    for r in rows:
        say('{:<12} {:>8.4f} {:>16,} {:>7} / {:<4} {:>10.1f}  {:g} '
            '(untuned)'.format(r['architecture'], r['miou'],
                               r['decoder_params'], r['connections'],
                               n * (n + 1), r['images_per_s'],
                               r['lr_decoder']))
    if ort:
        say('')
        say('{:<12} {:>8} {:>10} {:>10}'.format(
            'ONNX Runtime', 'mIoU', 'images/s', 'vs Chainer'))
        for r in rows:
            say('{:<12} {:>8.4f} {:>10.1f} {:>9.2f}x'.format(
                r['architecture'], r['miou_onnxruntime'],
                r['images_per_s_onnxruntime'],
                r['images_per_s_onnxruntime'] / r['images_per_s']))
    say('')
    margin, spread = table1_spread()
    ranking = format_ranking(tied_ranking(
        {r['architecture']: r['miou'] for r in rows}, margin))
    say('ranking: {}'.format(ranking))
    say(spread)
    say('One seed, one learning rate for all rows (not tuned for any): '
        'eval/table1.py compares them fairly.')
    say('total time {:.0f} s on {} CPU threads; outputs in {}'.format(
        elapsed, os.cpu_count(), args.out))
    atomic_write_text(os.path.join(args.out, 'summary.json'), json.dumps(
        {'rows': rows, 'seconds': elapsed, 'ranking': ranking,
         'tie_margin': margin,
         'search_space_connections': n * (n + 1),
         'config': config}, indent=2))


if __name__ == '__main__':
    chainer.global_config.dtype = numpy.float32
    main()
