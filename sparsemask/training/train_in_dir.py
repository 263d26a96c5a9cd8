import gc
import json
import os
import time

from sparsemask.extensions import NonFiniteLossError
from sparsemask.training.run_training import run_training
from sparsemask.utils.atomic_write import atomic_write_text
from sparsemask.utils.one_line import one_line
from sparsemask.utils.snapshot_files import list_snapshots

#: written into the run directory when the training ends (or diverges)
STATUS_FILE = 'train_status.json'
#: a segmentation retraining's confusion matrix on its validation set
CONFUSION_FILE = 'confusion.json'


def train_in_dir(config, mode, run_dir, device=-1, confusion_split=None):
    """Runs one training into its own directory, quietly, and records how
    it ended.

    The training resumes from the newest snapshot in ``run_dir`` if there
    is one. Its progress goes to ``run_dir/train.log``; how it ended goes
    to ``run_dir/train_status.json``, atomically, once it has ended. A
    training whose loss becomes NaN or infinite (a diverged one) ends
    normally here, with ``failed`` set; any other exception propagates.

    This is a module-level function of the package, so that the workers
    of a :class:`~sparsemask.training.training_pool.TrainingPool` can run
    it.

    Args:
        config (dict): a resolved configuration
            (:func:`sparsemask.training.load_config`).
        mode (str): ``'search'`` or ``'retrain'``.
        run_dir (str): the output directory.
        device (int): GPU id, -1 for the CPU.
        confusion_split (str): the split a segmentation retraining's
            confusion matrix is computed on (``dataset.val_split``'s
            value, e.g. ``test``); None for the config's val split.

    Returns:
        dict: ``time_s`` (wall-clock seconds), ``failed`` (the one-line
        error of a diverged training, or None), ``resumed`` (whether it
        went on from a snapshot) and ``pid`` (the process that ran it).

    """
    os.makedirs(run_dir, exist_ok=True)
    resume = bool(list_snapshots(run_dir))
    failed = None
    start = time.time()
    with open(os.path.join(run_dir, 'train.log'), 'a') as log:
        try:
            result = run_training(config, mode, run_dir, device=device,
                                  resume=resume, log=log)
        except NonFiniteLossError as e:
            failed = one_line(e)
        else:
            if mode == 'retrain' and config['task'] == 'segmentation':
                write_confusion(result['model'], config, run_dir,
                                split=confusion_split)
    status = {'time_s': time.time() - start, 'failed': failed,
              'resumed': resume, 'pid': os.getpid()}
    atomic_write_text(os.path.join(run_dir, STATUS_FILE),
                      json.dumps(status, indent=2) + '\n')
    gc.collect()
    return status


def write_confusion(model, config, run_dir, split=None):
    """Evaluates a trained segmentation model on its validation set (or
    another split) and writes the confusion matrix, the label names, the
    mIoU and the split to ``run_dir/confusion.json`` (atomically).

    Args:
        model (~sparsemask.links.SparseMask): the model.
        config (dict): its config (the validation set: ``dataset``).
        run_dir (str): the directory.
        split (str): the split to evaluate on, as ``dataset.val_split``
            names it; None for the config's own.

    Returns:
        dict: what was written: ``confusion`` (rows: ground truth),
        ``label_names``, ``miou``, ``iou`` and ``split`` (None: the
        config's val split).

    """
    import chainer
    from sparsemask.evaluations import evaluate_segmentation
    from sparsemask.training.build_datasets import build_datasets
    dataset = dict(config['dataset'])
    if split is not None:
        dataset['val_split'] = split
    _, val, label_names = build_datasets(dataset)
    with chainer.using_config('train', False), \
            chainer.no_backprop_mode():
        result = evaluate_segmentation(model, val, len(label_names))
    record = {'confusion': result['confusion'].tolist(),
              'label_names': list(label_names),
              'miou': float(result['miou']),
              'iou': [None if x != x else float(x) for x in result['iou']],
              'split': split}
    atomic_write_text(os.path.join(run_dir, CONFUSION_FILE),
                      json.dumps(record) + '\n')
    return record
