"""The configuration of the trainer scripts: defaults, YAML, overrides."""

import copy
import os

import yaml


#: Every valid key, with its default. A config file and the command line
#: override these; any other key is an error.
DEFAULTS = {
    'dataset': {
        # synthetic | voc (VOC 2012, with SBD for trainaug) | ade20k
        'name': 'synthetic',
        'train_split': 'train',   # voc: trainaug (VOC + SBD)/train/trainval
        'val_split': 'val',
        'voc_dir': None,          # .../VOCdevkit/VOC2012
        'sbd_dir': None,          # .../benchmark_RELEASE/dataset
        'trainaug_list': None,    # optional id list replacing the computed one
        'ade20k_dir': None,       # .../ADEChallengeData2016
        'n_train': 512,           # synthetic only
        'n_val': 64,              # synthetic only
        'size': 64,               # synthetic only: image side
        'seed': 0,                # synthetic only: train uses seed, val seed+1
        'n_val_images': None,     # evaluate on the first N val images only
    },
    'model': {
        # mobilenetv2 | resnet50 | resnet101 | vgg16
        'backbone': 'mobilenetv2',
        'pretrained_model': None,  # None (random init), 'imagenet' or a path
        'width_multiplier': 1.0,   # mobilenetv2 only
        'channels': 64,            # decoder depth
        # retrain: path to an arch.yaml, 'full' or 'unet'; search: ignored
        'arch': None,
        # the backbone 'arch' was searched on, when it differs from
        # 'backbone' (the architecture is transferred by stride, paper 4.3)
        'arch_backbone': None,
        'initial_weight': 0.5,     # search: w at the start
        'weight_noise': 0.0,       # search: std of noise added to w per pass
        'bn_affine': False,        # search: scale/shift in per-connection BN
        'fused': True,             # the fused FDN-stage op
        # momentum of the backbone's BN running statistics (None: the
        # backbone's own; MobileNetV2 uses 0.997, too slow for short runs)
        'bn_decay': None,
    },
    'train': {
        'batchsize': 16,           # per process
        'epochs': 50,
        'iterations': None,        # overrides epochs when set
        'crop_size': 513,
        'scale_range': [0.5, 2.0],
        'flip': True,
        'lr_encoder': 0.005,
        'lr_decoder': 0.05,
        'lr_power': 0.9,
        'momentum': 0.9,
        'weight_decay': 4e-5,
        'connection_weight_decay': True,  # search: decay w too (authors)
        'lam': 0.01,               # search: lambda of the sparse loss
        'sigma': 1e-3,             # search: pruning threshold
        'merge': False,            # search: the authors' stage merges
        'freeze_encoder': False,
        'seed': 0,
        'loaderjob': 0,            # 0: SerialIterator; N: N worker processes
    },
    'log': {
        'log_interval': 10,        # iterations
        'eval_interval': None,     # iterations; default: once per epoch
        'snapshot_interval': None,  # iterations; default: once per epoch
        'n_snapshots': 3,          # snapshots kept
        'prune_interval': None,    # search: also prune every N iterations
        'progress_bar': None,      # None: only when stdout is a terminal
    },
}


class ConfigError(ValueError):
    """A config file or override is invalid; the message names it."""


def _merge(config, update, source, prefix=''):
    if not isinstance(update, dict):
        raise ConfigError('{}: {} must be a mapping, not {!r}'.format(
            source, prefix.rstrip('.') or 'the top level', update))
    for key, value in update.items():
        name = prefix + str(key)
        if key not in config:
            raise ConfigError('{}: unknown key {!r}; valid keys{}: {}'.format(
                source, name, ' in ' + prefix.rstrip('.') if prefix else '',
                ', '.join(sorted(config))))
        if isinstance(config[key], dict):
            _merge(config[key], value, source, name + '.')
        else:
            config[key] = value


def parse_override(text):
    """Parses ``section.key=value`` (the value is read as YAML).

    Args:
        text (str): the override.

    Returns:
        dict: the nested mapping it sets.

    """
    if '=' not in text:
        raise ConfigError(
            'override {!r}: expected section.key=value, e.g. '
            'train.batchsize=8'.format(text))
    key, value = text.split('=', 1)
    try:
        value = yaml.safe_load(value)
    except yaml.YAMLError as e:
        raise ConfigError('override {!r}: the value is not valid YAML: '
                          '{}'.format(text, e))
    update = value
    for part in reversed(key.strip().split('.')):
        update = {part: update}
    return update


def load_config(path=None, overrides=(), defaults=None):
    """Resolves a configuration.

    Args:
        path (str): a YAML file whose keys override the defaults; its own
            ``base`` key names a YAML file (relative to it) to start from.
        overrides (sequence of str): ``section.key=value`` strings applied
            last.
        defaults (dict): the valid keys and defaults; :data:`DEFAULTS` by
            default.

    Returns:
        dict: the resolved configuration (a fresh nested dict).

    Raises:
        ConfigError: for a missing or broken file, an unknown key (named,
            with the valid ones) or a malformed override.

    """
    config = copy.deepcopy(DEFAULTS if defaults is None else defaults)
    if path is not None:
        for source, data in _read_chain(path):
            _merge(config, data, source)
    for text in overrides:
        _merge(config, parse_override(text), 'override {!r}'.format(text))
    return config


def _read_chain(path, seen=()):
    path = os.path.abspath(path)
    if path in seen:
        raise ConfigError('{}: base files form a cycle'.format(path))
    if not os.path.isfile(path):
        raise ConfigError('config file {} does not exist'.format(path))
    try:
        with open(path) as f:
            data = yaml.safe_load(f) or {}
    except yaml.YAMLError as e:
        raise ConfigError('{}: not valid YAML: {}'.format(path, e))
    if not isinstance(data, dict):
        raise ConfigError('{}: expected a mapping at the top level'.format(
            path))
    chain = []
    base = data.pop('base', None)
    if base is not None:
        chain = _read_chain(os.path.join(os.path.dirname(path), base),
                            seen + (path,))
    return chain + [(path, data)]


def dump_config(config):
    """Returns the configuration as YAML text.

    Args:
        config (dict): a resolved configuration.

    Returns:
        str: YAML.

    """
    return yaml.safe_dump(config, default_flow_style=False, sort_keys=False)
