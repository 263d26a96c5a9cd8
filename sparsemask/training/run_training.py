import errno
import glob
import os
import shutil
import sys

import numpy

import chainer
from chainer import training
from chainer.training import extensions
from chainercv.extensions import SemanticSegmentationEvaluator
from chainercv.links import PixelwiseSoftmaxClassifier

from sparsemask.datasets.random_transform_dataset import \
    RandomTransformDataset
from sparsemask.extensions import BinaryMapEvaluator
from sparsemask.extensions.binary_map_evaluator import REPORTED
from sparsemask.extensions import ClipConnectionWeights
from sparsemask.extensions import FailOnNonFinite
from sparsemask.extensions import PolyLearningRate
from sparsemask.extensions import Pruning
from sparsemask.extensions import SnapshotRetention
from sparsemask.extensions import SparseLoss
from sparsemask.iterators import EpochShuffleOrderSampler
from sparsemask.links import PixelwiseSigmoidClassifier
from sparsemask.training.build_datasets import build_datasets
from sparsemask.training.build_model import build_model
from sparsemask.training.build_model import search_topk
from sparsemask.training.config import config_items
from sparsemask.training.config import ConfigError
from sparsemask.training.config import dump_config
from sparsemask.training.config import load_config
from sparsemask.training.snapshots import choose_snapshot
from sparsemask.training.snapshots import list_snapshots
from sparsemask.training.snapshots import load_snapshot
from sparsemask.transforms import SegmentationTrainTransform
from sparsemask.utils.atomic_write import atomic_open
from sparsemask.utils.atomic_write import atomic_write_text


SNAPSHOT = 'snapshot_iter_{.updater.iteration}'

#: what the validation reports for each task (``val/main/<key>``), printed
#: in the log; the first is plotted (``<key>.png``)
VALIDATION = dict(REPORTED, segmentation=('miou', 'pixel_accuracy'))


class _PlainStream(object):
    """Drops the terminal escape codes PrintReport writes when the stream
    is not a terminal (a log file, a pipe)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        self._stream.write(text.replace('\033[J', ''))

    def flush(self):
        self._stream.flush()

    def isatty(self):
        return False


def _every_or_last(interval, max_iter):
    def trigger(trainer):
        it = trainer.updater.iteration
        return it % interval == 0 or it == max_iter
    return trigger


def _check_out(out, resume, config, mode, log):
    if os.path.exists(out) and not os.path.isdir(out):
        raise ConfigError('--out {} exists and is not a directory'.format(
            out))
    snapshots = list_snapshots(out)
    saved = os.path.join(out, 'config.yaml')
    if resume:
        if not os.path.isfile(saved):
            if snapshots:
                # a run of an older version: nothing to compare with
                return
            raise ConfigError(
                '--resume: {} holds no run to resume (no config.yaml, no '
                'snapshot_iter_N); run without --resume to start one'.format(
                    out))
        try:
            old = load_config(saved)
        except ConfigError as e:
            raise ConfigError('--resume: cannot read the configuration the '
                              'run started with: {}'.format(e))
        before = dict(config_items(old))
        changed = [(name, before[name], value)
                   for name, value in config_items(config)
                   if before[name] != value]
        fixed = [c for c in changed
                 if c[0] == 'task' or c[0].split('.')[0] in (
                     'model', 'dataset')]
        if fixed:
            raise ConfigError(
                '--resume: the task, the model and the data set must be '
                'those the run in {} started with; changed: {}'.format(
                    out, '; '.join('{}: {!r} -> {!r}'.format(*c)
                                   for c in fixed)))
        for c in changed:
            log.write('note: resuming with {} changed from {!r} to '
                      '{!r}\n'.format(*c))
        return
    if snapshots:
        raise ConfigError(
            '{} already holds snapshots of a run (newest: {}); pass --resume '
            'to continue it, or choose another --out'.format(
                out, os.path.basename(snapshots[-1][1])))


def _prepare_out(out, config_text):
    try:
        if not os.path.isdir(out):
            os.makedirs(out)
        _remove_stale_temporaries(out)
        atomic_write_text(os.path.join(out, 'config.yaml'), config_text)
    except OSError as e:
        raise ConfigError('--out {}: cannot write there: {}'.format(
            out, e.strerror or e))


def _snapshot_to_resume(out, log):
    chosen = choose_snapshot(out, log)
    if chosen is None:
        log.write('note: --resume: {} holds no snapshot yet (the run '
                  'stopped before its first one); starting from iteration '
                  '0\n'.format(out))
        return None
    return chosen[1]


def _remove_stale_temporaries(out):
    # a kill during a snapshot leaves Chainer's temporary directory behind;
    # the snapshot itself is renamed into place only when complete
    for path in glob.glob(os.path.join(out, 'tmpsnapshot_iter_*')):
        shutil.rmtree(path, ignore_errors=True)


def _weight_decay(optimizer, model, rate, connection_weights):
    hook = chainer.optimizer_hooks.WeightDecay(rate)
    for name, param in model.namedparams():
        if not connection_weights and name.endswith('/w') \
                and name.startswith('/decoder/'):
            continue
        param.update_rule.add_hook(hook)


def _lr_groups(model, mode, tc):
    # (name, base rate, links or parameters) of PolyLearningRate: the
    # encoder, the decoder and head, and in a search with
    # train.lr_connection the connection weights apart
    groups = [('encoder', tc['lr_encoder'], model.backbone)]
    if mode == 'search' and tc['lr_connection'] is not None:
        weights = [stage.w for _, stage in model.stages()]
        ids = {id(w) for w in weights}
        decoder = [p for p in model.decoder.params() if id(p) not in ids]
        groups += [('decoder', tc['lr_decoder'], decoder + [model.head]),
                   ('connection', tc['lr_connection'], weights)]
    else:
        groups.append(('decoder', tc['lr_decoder'],
                       [model.decoder, model.head]))
    return groups


def _save_uncompressed(path, target):
    # snapshots without zlib: 9x faster to write (0.06 vs 0.57 s for the
    # demo's search) for 7% more bytes (float weights barely compress)
    chainer.serializers.save_npz(path, target, compression=False)


def run_training(config, mode, out, device=-1, comm=None, resume=False,
                 log=sys.stdout, debug=False):
    """Runs a search or a retraining as the config says.

    Args:
        config (dict): a resolved configuration
            (:func:`sparsemask.training.load_config`).
        mode (str): ``'search'`` or ``'retrain'``.
        out (str): the output directory.
        device (int): GPU id, -1 for CPU.
        comm: a ChainerMN communicator, or None.
        resume (bool): continue from the newest snapshot in ``out`` that
            can be read, by iteration number; unreadable ones are moved to
            ``out/corrupt/`` with a note.
        log (file): where rank 0 prints progress.
        debug (bool): let the trainer print the traceback of an exception
            in the training loop.

    Returns:
        dict: ``model`` (the trained :class:`~sparsemask.links.SparseMask`),
        ``trainer``, and for a search ``connectivity`` (the pruned
        architecture).

    """
    is_writer = comm is None or comm.rank == 0
    task = config['task']
    tc = config['train']
    lc = config['log']
    config_text = '# train/{}.py\n'.format(mode) + dump_config(config)
    if is_writer:
        _check_out(out, resume, config, mode, log)

    # data
    if is_writer:
        train, val, label_names = build_datasets(config['dataset'], task)
    else:
        train = val = label_names = None
    if comm is not None:
        import chainermn
        label_names = comm.bcast_obj(label_names)
        train = chainermn.scatter_dataset(train, comm, shuffle=True,
                                          seed=tc['seed'])
    # saliency and edges: one sigmoid map
    n_class = len(label_names) if task == 'segmentation' else 1

    chainer.global_config.dtype = numpy.float32
    numpy.random.seed(tc['seed'])
    model = build_model(config['model'], mode, n_class, comm=comm,
                        train_config=tc)
    if tc['freeze_encoder']:
        model.backbone.disable_update()
    if device >= 0:
        chainer.cuda.get_device_from_id(device).use()
        model.to_gpu()
    if task == 'segmentation':
        classifier = PixelwiseSoftmaxClassifier(model, ignore_label=-1)
    else:
        classifier = PixelwiseSigmoidClassifier(
            model, class_balanced=task == 'edge')

    # the data and the model are built before anything is written into out
    resume_from = None
    if is_writer:
        if resume:
            resume_from = _snapshot_to_resume(out, log)
        _prepare_out(out, config_text)
        if mode == 'retrain' and model.connectivity is not None:
            # the architecture built (after any transfer), so that the run
            # can be evaluated and exported without the file it came from
            # (deeplabv3 has none: its config's model.arch rebuilds it)
            model.connectivity.to_yaml(os.path.join(out, 'arch.yaml'))
    if comm is not None:
        # (ChainerMN's bcast_obj wants None on the other ranks and not None
        # on the root)
        resume_from = comm.bcast_obj(
            [resume_from] if is_writer else None)[0]

    crop = tc['crop_size']
    transform = SegmentationTrainTransform(
        model.mean, model.std, (crop, crop) if isinstance(crop, int) else crop,
        scale_range=tuple(tc['scale_range']), flip=tc['flip'],
        rotate=tc['rotate'])
    rank = 0 if comm is None else comm.rank
    train = RandomTransformDataset(train, transform,
                                   seed=tc['seed'] * 1000 + rank)
    sampler = EpochShuffleOrderSampler(tc['seed'])
    if tc['loaderjob']:
        train_iter = chainer.iterators.MultiprocessIterator(
            train, tc['batchsize'], n_processes=tc['loaderjob'],
            order_sampler=sampler)
    else:
        train_iter = chainer.iterators.SerialIterator(
            train, tc['batchsize'], order_sampler=sampler)
    iters_per_epoch = -(-len(train) // tc['batchsize'])
    if tc['iterations'] is not None:
        max_iter = tc['iterations']
    else:
        max_iter = tc['epochs'] * iters_per_epoch

    optimizer = chainer.optimizers.MomentumSGD(
        lr=tc['lr_decoder'], momentum=tc['momentum'])
    if comm is not None:
        import chainermn
        optimizer = chainermn.create_multi_node_optimizer(optimizer, comm)
    optimizer.setup(classifier)
    if tc['weight_decay']:
        _weight_decay(optimizer, model, tc['weight_decay'],
                      tc['connection_weight_decay'])

    updater = training.updaters.StandardUpdater(
        train_iter, optimizer, device=device)
    trainer = training.Trainer(updater, (max_iter, 'iteration'), out=out)

    eval_interval = lc['eval_interval'] or iters_per_epoch
    snapshot_interval = lc['snapshot_interval'] or iters_per_epoch
    prune_interval = lc['prune_interval'] or max_iter
    # follows the loss, and keeps the newest snapshot taken before it
    # started growing; extended after the snapshot (below)
    retention = SnapshotRetention(lc['n_snapshots'], is_writer=is_writer)
    lr_groups = _lr_groups(model, mode, tc)
    trainer.extend(FailOnNonFinite(
        retention=retention, is_writer=is_writer,
        learning_rates=[('train.lr_' + name, rate)
                        for name, rate, _ in lr_groups]))
    poly = PolyLearningRate(lr_groups, max_iter, power=tc['lr_power'])
    trainer.extend(poly)
    if mode == 'search':
        if tc['search_loss'] != 'topk':
            # (topk: no penalty, each stage uses its train.topk largest
            # weights; MaskConnect)
            trainer.extend(SparseLoss(tc['lam'], loss=tc['search_loss']))
        trainer.extend(ClipConnectionWeights())
        pruning = Pruning(sigma=tc['sigma'], merge=tc['merge'], comm=comm,
                          topk=search_topk(tc))
        trainer.extend(pruning, trigger=_every_or_last(
            prune_interval, max_iter))

    if is_writer:
        val_iter = chainer.iterators.SerialIterator(
            val, 1, repeat=False, shuffle=False)
    else:
        val_iter = None
    if task == 'segmentation':
        evaluator = SemanticSegmentationEvaluator(val_iter, model,
                                                  label_names, comm=comm)
    else:
        evaluator = BinaryMapEvaluator(val_iter, model, task)
    trainer.extend(evaluator, name='val',
                   trigger=_every_or_last(eval_interval, max_iter))

    trainer.extend(
        extensions.snapshot(filename=SNAPSHOT, autoload=False,
                            n_retains=-1, condition=lambda: is_writer,
                            savefun=_save_uncompressed),
        trigger=_every_or_last(snapshot_interval, max_iter))
    # deletes old snapshots, after the snapshot of the iteration is written
    trainer.extend(retention)

    if is_writer:
        tty = getattr(log, 'isatty', lambda: False)()
        if not tty:
            log = _PlainStream(log)
        log_trigger = (lc['log_interval'], 'iteration')
        trainer.extend(extensions.LogReport(trigger=log_trigger))
        entries = ['epoch', 'iteration', 'main/loss']
        if mode == 'search':
            entries += ['main/sparse_loss']
        entries += ['val/main/' + key for key in VALIDATION[task]]
        entries += ['lr/decoder', 'elapsed_time']
        trainer.extend(extensions.PrintReport(entries, out=log),
                       trigger=log_trigger)
        if lc['plots'] and extensions.PlotReport.available():
            losses = ['main/loss'] + (
                ['main/sparse_loss'] if mode == 'search' else [])
            trainer.extend(extensions.PlotReport(
                losses, 'iteration', trigger=log_trigger,
                filename='loss.png'))
            followed = VALIDATION[task][0]
            trainer.extend(extensions.PlotReport(
                ['val/main/' + followed], 'iteration', trigger=log_trigger,
                filename=followed + '.png'))
        progress = lc['progress_bar']
        if progress is None:
            progress = tty
        if progress:
            # (Chainer 7.8.1's bar writes to sys.stdout whatever ``out``)
            trainer.extend(extensions.ProgressBar(
                update_interval=min(10, lc['log_interval'])))

    if resume_from is not None:
        load_snapshot(resume_from, trainer)
        if is_writer:
            log.write('resumed from {} (iteration {})\n'.format(
                resume_from, trainer.updater.iteration))
            for name, old, new in poly.rescaled:
                log.write('note: the momentum of the {} group was multiplied '
                          'by {:.4g}, as its learning rate was changed from '
                          '{:g} to {:g}\n'.format(name, new / old if old
                                                  else 0, old, new))
    try:
        trainer.run(show_loop_exception_msg=debug)
    except OSError as e:
        if e.filename is None and e.errno in (errno.ENOSPC, errno.EDQUOT):
            # a write that ran out of space names no file: it was in out
            raise OSError(e.errno, e.strerror, out) from e
        raise

    if mode == 'search' and pruning.connectivity is None:
        # resumed after the end: prune the finished search once more
        pruning(trainer)
    if is_writer:
        with atomic_open(os.path.join(out, 'model.npz'), 'wb') as f:
            chainer.serializers.save_npz(f, model)
    result = {'model': model, 'trainer': trainer}
    if mode == 'search':
        result['connectivity'] = pruning.connectivity
    return result
