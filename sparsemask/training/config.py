"""The configuration of the trainer scripts: a typed schema, YAML files and
``section.key=value`` overrides.

Every key has a declared type and range (:data:`SCHEMA`). A file or an
override that sets an unknown key, a value of the wrong type or a value out
of range is refused when the configuration is loaded, before anything is
written, with a :class:`ConfigError` whose one-line message names the file
or override, the key, the value and what is expected.

YAML is read with the YAML 1.2 rule for floats, so ``1e-4`` is the number
0.0001 (PyYAML's YAML 1.1 rule reads it as the string ``'1e-4'``), and a
key set twice in one mapping (at any level) is an error naming the key and
both lines (PyYAML would keep the last one silently).
"""

import copy
import math
import numbers
import os
import re

import yaml

from sparsemask.utils.one_line import one_line
from sparsemask.utils.unique_key_yaml import DuplicateKeyError
from sparsemask.utils.unique_key_yaml import unique_key_load
from sparsemask.utils.unique_key_yaml import UniqueKeyLoader


class ConfigError(ValueError):
    """A config file or override is invalid; the message names it."""


class _Loader(UniqueKeyLoader):
    """PyYAML's safe loader with YAML 1.2 floats (``1e-4``, ``5E3``) that
    refuses duplicate keys."""


_Loader.add_implicit_resolver(
    'tag:yaml.org,2002:float',
    re.compile(r'''^(?:
        [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$''', re.X),
    list('-+0123456789.'))


def yaml_load(stream):
    """Reads YAML as the config files are read (YAML 1.2 floats, no
    duplicate keys).

    Args:
        stream (str or file): the YAML text or an open file.

    Returns:
        object: the data.

    Raises:
        DuplicateKeyError: if a mapping has a key twice (it is a
            ``yaml.YAMLError``).
        yaml.YAMLError: if the text is not valid YAML.

    """
    return unique_key_load(stream, loader=_Loader)


class Option(object):
    """A config key: its default, type and allowed values.

    Args:
        default: the default value; it must itself be valid.
        kind (str): ``'int'``, ``'float'``, ``'bool'``, ``'str'``,
            ``'int_or_pair'`` (an int or a list of two ints, e.g. a crop
            size) or ``'float_pair'`` (a list of two floats, low <= high).
        minimum (number): the smallest allowed number (each element of a
            pair).
        maximum (number): the largest allowed number.
        exclusive (bool): ``minimum`` itself is not allowed.
        below_maximum (bool): ``maximum`` itself is not allowed.
        choices (sequence of str): the allowed strings.
        nullable (bool): ``null`` is allowed.
        doc (str): what the key means (shown in errors of some kinds).

    """

    def __init__(self, default, kind, minimum=None, maximum=None,
                 exclusive=False, below_maximum=False, choices=None,
                 nullable=False, doc=''):
        self.default = default
        self.kind = kind
        self.minimum = minimum
        self.maximum = maximum
        self.exclusive = exclusive
        self.below_maximum = below_maximum
        self.choices = None if choices is None else tuple(choices)
        self.nullable = nullable
        self.doc = doc

    def expected(self):
        """str: what a valid value is, in words."""
        if self.choices is not None:
            text = 'one of ' + ', '.join(self.choices)
        else:
            text = {
                'int': 'an integer',
                'float': 'a number',
                'bool': 'true or false',
                'str': 'a string',
                'int_or_pair': 'an integer or a list [height, width] of '
                               'integers, each',
                'float_pair': 'a list [low, high] of two numbers with '
                              'low <= high, each',
            }[self.kind]
            bounds = []
            if self.minimum is not None:
                bounds.append('{} {}'.format(
                    '>' if self.exclusive else '>=', self.minimum))
            if self.maximum is not None:
                bounds.append('{} {}'.format(
                    '<' if self.below_maximum else '<=', self.maximum))
            if bounds:
                text += ' ' + ' and '.join(bounds)
        if self.nullable:
            text += ', or null'
        return text

    def check(self, value):
        """Checks and normalises a value (an int given for a float key
        becomes a float).

        Args:
            value: the value read from YAML.

        Returns:
            the normalised value.

        Raises:
            ValueError: with :meth:`expected` as the message.

        """
        if value is None:
            if self.nullable:
                return None
            raise ValueError(self.expected())
        if self.choices is not None:
            if value not in self.choices:
                raise ValueError(self.expected())
            return value
        if self.kind == 'int':
            return self._number(value, integer=True)
        if self.kind == 'float':
            return self._number(value, integer=False)
        if self.kind == 'bool':
            if not isinstance(value, bool):
                raise ValueError(self.expected())
            return value
        if self.kind == 'str':
            if not isinstance(value, str) or not value:
                raise ValueError(self.expected())
            return value
        if self.kind == 'int_or_pair':
            if isinstance(value, list):
                if len(value) != 2:
                    raise ValueError(self.expected())
                return [self._number(v, integer=True) for v in value]
            return self._number(value, integer=True)
        if self.kind == 'float_pair':
            if not isinstance(value, list) or len(value) != 2:
                raise ValueError(self.expected())
            pair = [self._number(v, integer=False) for v in value]
            if pair[0] > pair[1]:
                raise ValueError(self.expected())
            return pair
        raise AssertionError(self.kind)

    def _number(self, value, integer):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(self.expected())
        if integer:
            if not isinstance(value, numbers.Integral):
                raise ValueError(self.expected())
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(self.expected())
        if self.minimum is not None and (
                value < self.minimum or
                (self.exclusive and value == self.minimum)):
            raise ValueError(self.expected())
        if self.maximum is not None and (
                value > self.maximum or
                (self.below_maximum and value == self.maximum)):
            raise ValueError(self.expected())
        return value


_BACKBONES = ('mobilenetv2', 'resnet50', 'resnet101', 'vgg16')

#: The values of the top-level key ``task``.
TASKS = ('segmentation', 'saliency', 'edge')


def _path(doc):
    return Option(None, 'str', nullable=True, doc=doc)


def _positive(default, doc='', nullable=False):
    return Option(default, 'int', minimum=1, nullable=nullable, doc=doc)


#: Every valid key, with its default, type and range. A config file and the
#: command line override the defaults; any other key is an error.
SCHEMA = {
    'task': Option('segmentation', 'str', choices=TASKS,
                   doc='segmentation: softmax over classes, mIoU; '
                       'saliency: one sigmoid map, BCE, max F_beta and MAE; '
                       "edge: one sigmoid map, HED's class-balanced BCE, "
                       'ODS/OIS/AP/R50'),
    'dataset': {
        'name': Option('synthetic', 'str',
                       choices=('synthetic', 'benchmark', 'voc', 'ade20k',
                                'folder', 'msrab', 'bsds500')),
        # any name here; the data set's own splits are checked when it is
        # built (build_dataset): voc: trainaug (VOC + SBD), train, val,
        # trainval; ade20k and synthetic: train, val; benchmark: train,
        # val, test; folder: any
        # <split>.txt in folder_dir; msrab: train, val, test; bsds500:
        # train, val, test, trainval
        'train_split': Option('train', 'str'),
        'val_split': Option('val', 'str'),
        'voc_dir': _path('.../VOCdevkit/VOC2012'),
        'sbd_dir': _path('.../benchmark_RELEASE/dataset'),
        'trainaug_list': _path('an id list replacing the computed one'),
        'ade20k_dir': _path('.../ADEChallengeData2016'),
        'folder_dir': _path('a folder with images/, labels/, classes.txt '
                            'and <split>.txt (FolderSemanticSegmentation'
                            'Dataset)'),
        'msrab_dir': _path('the MSRA-B folder: <id>.jpg, <id>.png and '
                           'the *_cvpr2013.txt split lists'),
        'bsds_dir': _path('.../BSR/BSDS500/data (images/, groundTruth/)'),
        'edge_eta': Option(0.5, 'float', minimum=0, maximum=1,
                           exclusive=True,
                           doc='edge: a pixel is an edge where at least '
                               'this fraction of the annotators drew one, '
                               'ignored where fewer (but some) did'),
        'n_train': _positive(512, 'synthetic and benchmark only'),
        'n_val': _positive(64, 'synthetic and benchmark only'),
        'n_test': _positive(256, 'benchmark only'),
        'size': Option(64, 'int', minimum=8,
                       doc='synthetic and benchmark only: side'),
        'seed': Option(0, 'int', minimum=0,
                       doc='synthetic and benchmark only: train uses seed, '
                           'val seed+1 (benchmark: test seed+2)'),
        'n_val_images': _positive(None, 'evaluate on the first N only',
                                  nullable=True),
        'holdout': _positive(
            None, 'tuning: the last N examples of the training split are '
                  'held out and are the validation set (the val split is '
                  'not read)', nullable=True),
    },
    'model': {
        'backbone': Option('mobilenetv2', 'str', choices=_BACKBONES),
        'pretrained_model': Option(
            None, 'str', nullable=True,
            doc="None (random init), 'imagenet', 'benchmark' (mobilenetv2 "
                "width 0.35, train/pretrain.py) or a path"),
        'width_multiplier': Option(1.0, 'float', minimum=0, exclusive=True,
                                   doc='mobilenetv2 only'),
        'channels': _positive(
            64, 'decoder depth: channels of every FDN stage; with arch '
                "'deeplabv3' the depth of the ASPP branches (256 in "
                'DeepLabV3)'),
        'arch': Option(None, 'str', nullable=True,
                       doc="retrain: an arch.yaml, or a baseline: 'full', "
                           "'unet', 'fcn', 'sparseacn', 'deeplabv3', "
                           "'random' (Connectivity.<name>; deeplabv3: an "
                           'ASPP head on the last encoder stage, no FDN); '
                           'a search ignores it'),
        'random_connections': _positive(
            None, "arch 'random' (required): the number of connections, "
                  'at most L(L+1) (90 for mobilenetv2)', nullable=True),
        'random_seed': Option(0, 'int', minimum=0,
                              doc="arch 'random': the seed (the same seed, "
                                  'the same architecture)'),
        'connection_bn': Option(True, 'bool',
                                doc='search: per-connection BN (false: the '
                                    "paper's ablation without it)"),
        'weight_scale': Option(1.0, 'float', minimum=0, exclusive=True,
                               doc='search: the forward multiplies by '
                                   "weight_scale * w (the authors' code: 2)"),
        'arch_backbone': Option(
            None, 'str', choices=_BACKBONES, nullable=True,
            doc="the backbone 'arch' was searched on (paper 4.3)"),
        'initial_weight': Option(0.5, 'float', minimum=0, maximum=1,
                                 exclusive=True,
                                 doc='search: w at the start'),
        'weight_noise': Option(0.0, 'float', minimum=0,
                               doc='search: std of noise added to w'),
        'bn_affine': Option(False, 'bool',
                            doc='search: scale/shift in per-connection BN'),
        'fused': Option(True, 'bool', doc='the fused FDN-stage op'),
        'bn_decay': Option(None, 'float', minimum=0, maximum=1,
                           below_maximum=True, nullable=True,
                           doc="momentum of the backbone's BN statistics"),
    },
    'train': {
        'batchsize': _positive(16, 'per process'),
        'epochs': _positive(50),
        'iterations': _positive(None, 'overrides epochs when set',
                                nullable=True),
        'crop_size': Option(513, 'int_or_pair', minimum=1),
        'scale_range': Option([0.5, 2.0], 'float_pair', minimum=0,
                              exclusive=True),
        'flip': Option(True, 'bool'),
        'rotate': Option(False, 'bool',
                         doc="also rotate by one of HED's 16 angles "
                             '(k * 22.5 degrees; its BSDS500 augmentation)'),
        'lr_encoder': Option(0.005, 'float', minimum=0),
        'lr_decoder': Option(0.05, 'float', minimum=0),
        'lr_power': Option(0.9, 'float', minimum=0),
        'momentum': Option(0.9, 'float', minimum=0, maximum=1,
                           below_maximum=True),
        'weight_decay': Option(4e-5, 'float', minimum=0),
        'connection_weight_decay': Option(True, 'bool',
                                          doc='search: decay w too'),
        'lam': Option(0.01, 'float', minimum=0,
                      doc='search: lambda of the sparse (or L1) loss'),
        'search_loss': Option('sparse', 'str',
                              choices=('sparse', 'l1', 'topk'),
                              doc="search: the paper's sparse loss, an L1 "
                                  'penalty lam * sum |w| (reported as '
                                  'main/sparse_loss), or MaskConnect-style '
                                  'top-k (no penalty)'),
        'topk': _positive(3, "search_loss 'topk': the inputs each stage "
                             'uses in the search and keeps when pruned '
                             '(sigma does not apply)'),
        'lr_connection': Option(None, 'float', minimum=0, nullable=True,
                                doc='search: base lr of the connection '
                                    'weights, a poly group of their own '
                                    '(lr/connection); null: lr_decoder, '
                                    'in the decoder group'),
        'sigma': Option(1e-3, 'float', minimum=0, maximum=1,
                        doc='search: pruning threshold (not with '
                            "search_loss 'topk')"),
        'merge': Option(
            False, 'bool',
            doc="search: also the authors' code's stage merges (same "
                'inputs: the finer stage goes, its readers read the coarser; '
                "inputs and readers within a finer stage's: the coarser "
                'goes)'),
        'freeze_encoder': Option(False, 'bool'),
        'seed': Option(0, 'int', minimum=0),
        'loaderjob': Option(0, 'int', minimum=0,
                            doc='0: SerialIterator; N: N worker processes'),
    },
    'log': {
        'log_interval': _positive(10, 'iterations'),
        'eval_interval': _positive(None, 'default: once per epoch',
                                   nullable=True),
        'snapshot_interval': _positive(None, 'default: once per epoch',
                                       nullable=True),
        'n_snapshots': _positive(
            3, 'the newest snapshots kept, plus the newest one taken '
               'before the loss started growing (SnapshotRetention)'),
        'prune_interval': _positive(None, 'search: also prune every N',
                                    nullable=True),
        'progress_bar': Option(None, 'bool', nullable=True,
                               doc='None: only when stdout is a terminal'),
        'plots': Option(True, 'bool',
                        doc='draw loss.png and the validation metric '
                            '(miou.png, max_fbeta.png or ods.png) at every '
                            'log entry (when matplotlib is installed)'),
    },
}


def _defaults(schema):
    return {name: copy.deepcopy(entry.default) if isinstance(entry, Option)
            else {key: copy.deepcopy(option.default)
                  for key, option in entry.items()}
            for name, entry in schema.items()}


def config_items(config):
    """Yields ``(name, value)`` for every key of a configuration, sections
    flattened: ``('task', ...)``, ``('model.backbone', ...)``, ...

    Args:
        config (dict): a resolved configuration.

    Yields:
        tuple: the dotted name and the value.

    """
    for name, entry in config.items():
        if isinstance(entry, dict):
            for key, value in entry.items():
                yield name + '.' + key, value
        else:
            yield name, entry


#: Every valid key with its default (the values of :data:`SCHEMA`).
DEFAULTS = _defaults(SCHEMA)


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


def _check(config, schema, source):
    # every key of ``config`` against its option, in place
    for name, entry in schema.items():
        if isinstance(entry, Option):
            where, options = config, {name: entry}
        else:
            where, options = config[name], entry
        for key, option in options.items():
            value = where[key]
            try:
                where[key] = option.check(value)
            except ValueError as e:
                raise ConfigError('{}: {} = {}: expected {}'.format(
                    source, key if where is config else name + '.' + key,
                    _show(value), e))


def _show(value):
    # the value as the user wrote it (YAML flow style, one line); a string
    # is quoted, so that '1e-3' is seen to be text
    if isinstance(value, str):
        return repr(value)
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 16)
    text = text.strip()
    if text.endswith('...'):
        text = text[:-3].strip()
    return text


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
        value = yaml_load(value)
    except DuplicateKeyError as e:
        raise ConfigError('override {!r}: the value has the key {!r} '
                          'twice'.format(text, e.key))
    except yaml.YAMLError as e:
        raise ConfigError('override {!r}: the value is not valid YAML: '
                          '{}'.format(text, one_line(e)))
    update = value
    for part in reversed(key.strip().split('.')):
        update = {part: update}
    return update


def load_config(path=None, overrides=(), schema=None):
    """Resolves and checks a configuration.

    The defaults, then each file of ``path``'s ``base`` chain, then each
    override are applied in turn, and the values are checked after each
    source, so that an error names the source that set the bad value.

    Args:
        path (str): a YAML file whose keys override the defaults; its own
            ``base`` key names a YAML file (relative to it) to start from.
        overrides (sequence of str): ``section.key=value`` strings applied
            last.
        schema (dict): the valid keys with their :class:`Option`;
            :data:`SCHEMA` by default.

    Returns:
        dict: the resolved configuration (a fresh nested dict of plain
        values).

    Raises:
        ConfigError: for a missing or broken file, an unknown key (named,
            with the valid ones), a value of the wrong type or out of range
            (named, with what is expected) or a malformed override.

    """
    schema = SCHEMA if schema is None else schema
    config = _defaults(schema)
    if path is not None:
        for source, data in _read_chain(path):
            _merge(config, data, source)
            _check(config, schema, source)
    for text in overrides:
        source = 'override {!r}'.format(text)
        _merge(config, parse_override(text), source)
        _check(config, schema, source)
    return config


def _read_chain(path, seen=()):
    path = os.path.abspath(path)
    if path in seen:
        raise ConfigError('{}: base files form a cycle'.format(path))
    if not os.path.isfile(path):
        raise ConfigError('config file {} does not exist'.format(path))
    try:
        with open(path) as f:
            data = yaml_load(f) or {}
    except DuplicateKeyError as e:
        raise ConfigError('{}: {}'.format(path, e))
    except yaml.YAMLError as e:
        raise ConfigError('{}: not valid YAML: {}'.format(
            path, one_line(e)))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError('config file {} cannot be read: {}'.format(
            path, getattr(e, 'strerror', None) or e))
    if not isinstance(data, dict):
        raise ConfigError('{}: expected a mapping at the top level'.format(
            path))
    chain = []
    base = data.pop('base', None)
    if base is not None:
        if not isinstance(base, str):
            raise ConfigError('{}: base = {}: expected the path of another '
                              'config file'.format(path, _show(base)))
        chain = _read_chain(os.path.join(os.path.dirname(path), base),
                            seen + (path,))
    return chain + [(path, data)]


def dump_config(config):
    """Returns the configuration as YAML text (read back by
    :func:`load_config` to the same values).

    Args:
        config (dict): a resolved configuration.

    Returns:
        str: YAML.

    """
    return yaml.safe_dump(config, default_flow_style=False, sort_keys=False)
