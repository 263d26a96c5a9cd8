import os

from sparsemask.training.build_model import BASELINES
from sparsemask.training.build_model import build_model
from sparsemask.training.config import ConfigError
from sparsemask.training.config import load_config
from sparsemask.training.snapshots import check_snapshot
from sparsemask.training.snapshots import load_snapshot
from sparsemask.training.snapshots import SnapshotError
from sparsemask.utils.one_line import one_line
from sparsemask.utils.snapshot_files import list_snapshots


#: where the model lies inside a trainer snapshot
SNAPSHOT_MODEL = 'updater/model:main/predictor/'


def _weights_file(out):
    path = os.path.join(out, 'model.npz')
    if os.path.isfile(path):
        return path
    snapshots = list_snapshots(out)
    if snapshots:
        return snapshots[-1][1]
    raise ConfigError(
        '{} holds no trained model (no model.npz and no snapshot_iter_N); '
        'expected the --out directory of train/retrain.py or '
        'train/search.py'.format(out))


def _read_weights(path):
    if not os.path.isfile(path):
        raise ConfigError('--model {} does not exist (expected the '
                          'model.npz or a snapshot_iter_N of a '
                          'run)'.format(path))
    try:
        arrays = check_snapshot(path)
    except SnapshotError as e:
        raise ConfigError(str(e))
    if any(key.startswith(SNAPSHOT_MODEL) for key in arrays):
        prefix = SNAPSHOT_MODEL
    else:
        prefix = ''
    if prefix + 'head/W' not in arrays:
        raise ConfigError(
            '{} holds no SparseMask model (no {}head/W; expected the '
            'model.npz or a snapshot_iter_N of train/retrain.py or '
            'train/search.py)'.format(path, prefix))
    return arrays, prefix


def load_trained_model(out=None, config=None, model=None, arch=None,
                       overrides=()):
    """Rebuilds a trained model from what a run wrote.

    Given the ``--out`` directory of ``train/retrain.py`` (or
    ``train/search.py``), the configuration is its ``config.yaml``, the
    weights its ``model.npz`` (or, while the run is unfinished, its newest
    snapshot) and the architecture the ``arch.yaml`` a retraining copies
    there (else the config's ``model.arch``). Each can be given instead.
    A search model (with connection weights) is recognised from the
    weights.

    Args:
        out (str): a run's output directory.
        config (str): a config file; ``out/config.yaml`` by default.
        model (str): a ``model.npz`` or a snapshot; from ``out`` by default.
        arch (str): an ``arch.yaml`` (or a baseline name: ``full``,
            ``unet``, ``fcn``, ``sparseacn``, ``random``, ``deeplabv3``)
            replacing the config's ``model.arch``.
        overrides (sequence of str): ``section.key=value`` config
            overrides (e.g. ``model.fused=false``).

    Returns:
        tuple: ``(model, config)``: the
        :class:`~sparsemask.links.SparseMask` on the CPU with the trained
        weights, and the resolved configuration.

    Raises:
        ConfigError: naming the file or key that is missing, unreadable or
            does not match the others.

    """
    if out is not None and not os.path.isdir(out):
        raise ConfigError('{} is not a directory (expected the --out '
                          'directory of a training run)'.format(out))
    if config is None:
        if out is None:
            raise ConfigError('give the out directory of a run, or --config '
                              'with --model')
        config = os.path.join(out, 'config.yaml')
        if not os.path.isfile(config):
            raise ConfigError('{} holds no config.yaml (expected the --out '
                              'directory of train/retrain.py)'.format(out))
    if model is None:
        if out is None:
            raise ConfigError('--config needs --model (a model.npz or a '
                              'snapshot_iter_N)')
        model = _weights_file(out)
    overrides = list(overrides)
    if arch is not None:
        overrides += ['model.arch={}'.format(arch),
                      'model.arch_backbone=null']
    elif out is not None and os.path.isfile(os.path.join(out, 'arch.yaml')):
        # the architecture the retraining built (after any transfer)
        overrides += ['model.arch={}'.format(os.path.join(out, 'arch.yaml')),
                      'model.arch_backbone=null']
    cfg = load_config(config, overrides)
    arrays, prefix = _read_weights(model)
    search = any(key.startswith(prefix + 'decoder/') and
                 key.endswith('/w') for key in arrays)
    n_class = arrays[prefix + 'head/W'].shape[0]
    if search:
        mode = 'search'
    else:
        mode = 'retrain'
        if cfg['model']['arch'] is None:
            raise ConfigError(
                'model.arch: {} holds no architecture; give --arch (the '
                'arch.yaml the model was trained with, or the baseline: '
                '{})'.format(config, ', '.join(BASELINES)))
    # (a pretrained encoder is not downloaded: the weights replace it)
    cfg['model']['pretrained_model'] = None
    link = build_model(cfg['model'], mode, n_class,
                       train_config=cfg['train'])
    try:
        load_snapshot(model, link, arrays=arrays, prefix=prefix)
    except (KeyError, ValueError) as e:
        if isinstance(e, KeyError):
            reason = 'it has no {}'.format(e.args[0] if e.args else e)
        else:
            reason = one_line(e)
        raise ConfigError(
            '{} does not match the model of {} (architecture {}): {}'.format(
                model, config, cfg['model']['arch'] or 'full FDN (search)',
                reason))
    return link, cfg

