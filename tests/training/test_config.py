import pytest

from sparsemask.training import ConfigError
from sparsemask.training import DEFAULTS
from sparsemask.training import load_config
from sparsemask.training.config import dump_config


def test_defaults_when_nothing_given():
    config = load_config()
    assert config == DEFAULTS and config is not DEFAULTS
    config['train']['batchsize'] = 1
    assert DEFAULTS['train']['batchsize'] == 16


def test_file_then_overrides(tmp_path):
    path = tmp_path / 'c.yaml'
    path.write_text('train:\n  batchsize: 4\n  lam: 0.1\nmodel:\n'
                    '  backbone: resnet101\n')
    config = load_config(str(path), ['train.lam=0.5', 'model.arch=full',
                                     'train.scale_range=[1, 2]',
                                     'dataset.n_val_images=null'])
    assert config['train']['batchsize'] == 4
    assert config['train']['lam'] == 0.5
    assert config['train']['scale_range'] == [1, 2]
    assert config['model']['backbone'] == 'resnet101'
    assert config['model']['arch'] == 'full'
    assert config['dataset']['n_val_images'] is None
    assert config['train']['epochs'] == DEFAULTS['train']['epochs']


def test_base_file(tmp_path):
    (tmp_path / 'a.yaml').write_text('train:\n  batchsize: 4\n  lam: 0.1\n')
    (tmp_path / 'b.yaml').write_text('base: a.yaml\ntrain:\n  lam: 0.2\n')
    config = load_config(str(tmp_path / 'b.yaml'))
    assert config['train']['batchsize'] == 4 and config['train']['lam'] == 0.2


def test_unknown_key_names_key_and_valid_keys(tmp_path):
    path = tmp_path / 'c.yaml'
    path.write_text('train:\n  batch_size: 4\n')
    with pytest.raises(ConfigError) as e:
        load_config(str(path))
    message = str(e.value)
    assert str(path) in message and "'train.batch_size'" in message
    assert 'batchsize' in message and 'lr_decoder' in message
    with pytest.raises(ConfigError, match="unknown key 'trian'.*train"):
        load_config(None, ['trian.lam=1'])


@pytest.mark.parametrize('text,match', [
    ('train: [1, 2]\n', 'train must be a mapping'),
    ('- 1\n', 'mapping at the top level'),
    ('train: {lam: [\n', 'not valid YAML'),
])
def test_broken_files(tmp_path, text, match):
    path = tmp_path / 'c.yaml'
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_config(str(path))


def test_missing_file_and_bad_override(tmp_path):
    with pytest.raises(ConfigError, match='does not exist'):
        load_config(str(tmp_path / 'nope.yaml'))
    with pytest.raises(ConfigError, match='section.key=value'):
        load_config(None, ['train.lam'])


@pytest.mark.parametrize('text,key,lines', [
    # top level: a section set twice (PyYAML would keep the second only)
    ('train:\n  lam: 0.1\nmodel:\n  channels: 32\ntrain:\n  epochs: 2\n',
     'train', (1, 5)),
    ('task: saliency\ntask: edge\n', 'task', (1, 2)),
    # nested: a key of a section set twice
    ('train:\n  lr_decoder: 0.01\n  batchsize: 4\n\n  lr_decoder: 0.02\n',
     'lr_decoder', (2, 5)),
    ('model: {channels: 32, channels: 64}\n', 'channels', (1, 1)),
])
def test_duplicate_key_names_file_key_and_both_lines(tmp_path, text, key,
                                                     lines):
    path = tmp_path / 'c.yaml'
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(str(path))
    assert str(e.value) == '{}: key {!r} appears twice (lines {} and {})' \
        .format(path, key, *lines)


def test_duplicate_key_in_a_base_file_names_the_base_file(tmp_path):
    (tmp_path / 'a.yaml').write_text('train:\n  lam: 0.1\n  lam: 0.2\n')
    (tmp_path / 'b.yaml').write_text('base: a.yaml\ntrain:\n  lam: 0.3\n')
    with pytest.raises(ConfigError) as e:
        load_config(str(tmp_path / 'b.yaml'))
    assert str(e.value) == \
        "{}: key 'lam' appears twice (lines 2 and 3)".format(
            tmp_path / 'a.yaml')


def test_duplicate_key_in_an_override_value_is_refused():
    override = 'train.scale_range={a: 1, a: 2}'
    with pytest.raises(ConfigError) as e:
        load_config(None, [override])
    assert str(e.value) == \
        "override {!r}: the value has the key 'a' twice".format(override)


def test_merge_keys_and_equal_keys_of_other_mappings_are_no_duplicates():
    from sparsemask.training.config import yaml_load
    data = yaml_load('a: &a {x: 1, y: 2e-3}\nb:\n  <<: *a\n  x: 3\n'
                     'c: {x: 4}\n')
    assert data == {'a': {'x': 1, 'y': 0.002}, 'b': {'x': 3, 'y': 0.002},
                    'c': {'x': 4}}


def test_shipped_configs_resolve():
    import glob
    import os
    root = os.path.join(os.path.dirname(__file__), '..', '..', 'configs')
    paths = sorted(glob.glob(os.path.join(root, '*.yaml')))
    names = {os.path.basename(p) for p in paths}
    assert {'demo.yaml', 'voc_mobilenetv2_search.yaml',
            'voc_mobilenetv2_retrain.yaml', 'voc_resnet101_retrain.yaml',
            'ade20k_resnet101_retrain.yaml'} <= names
    for p in paths:
        if os.path.basename(p).startswith('pretrain_'):
            # train/pretrain.py's configs have a schema of their own
            from sparsemask.training.pretrain_encoder import \
                load_pretrain_config
            load_pretrain_config(p)
            continue
        config = load_config(p)
        # the dump is read back to the same config
        assert load_config(None, ()) is not None
        dumped = dump_config(config)
        import yaml
        assert yaml.safe_load(dumped) == config


@pytest.mark.parametrize('override,key,value', [
    ('train.sigma=1e-2', 'sigma', 0.01),
    ('train.weight_decay=1e-4', 'weight_decay', 1e-4),
    ('train.lr_decoder=1e-3', 'lr_decoder', 1e-3),
    ('train.lr_encoder=5E-4', 'lr_encoder', 5e-4),
    ('train.lam=2e0', 'lam', 2.0),
    ('train.lr_decoder=1', 'lr_decoder', 1.0),
])
def test_scientific_notation_is_a_number(tmp_path, override, key, value):
    # PyYAML's YAML 1.1 rule reads 1e-2 as the string '1e-2'
    config = load_config(None, [override])
    assert type(config['train'][key]) is float
    assert config['train'][key] == value
    path = tmp_path / 'c.yaml'
    path.write_text('train:\n  {}: {}\n'.format(*override[6:].split('=')))
    assert load_config(str(path))['train'][key] == value
    # and the saved config reads back as the same number
    assert load_config(_dumped(tmp_path, config))['train'][key] == value


def _dumped(tmp_path, config):
    path = tmp_path / 'dumped.yaml'
    path.write_text(dump_config(config))
    return str(path)


@pytest.mark.parametrize('override,expected', [
    ('train.iterations=0', 'train.iterations = 0: expected an integer >= 1, '
                           'or null'),
    ('train.batchsize=-1', 'train.batchsize = -1: expected an integer >= 1'),
    ('train.batchsize=2.5', 'train.batchsize = 2.5: expected an integer'),
    ('train.batchsize=true', 'train.batchsize = true: expected an integer'),
    ('train.crop_size=0', 'train.crop_size = 0: expected an integer or a '
                          'list [height, width]'),
    ('train.crop_size=[32, 0]', 'train.crop_size = [32, 0]'),
    ('train.crop_size=[1, 2, 3]', 'train.crop_size = [1, 2, 3]'),
    ('dataset.n_train=0', 'dataset.n_train = 0: expected an integer >= 1'),
    ('train.lr_decoder=-0.1', 'train.lr_decoder = -0.1: expected a number '
                              '>= 0'),
    ('train.lr_encoder=-1e-3', 'train.lr_encoder = -0.001'),
    ('log.snapshot_interval=0', 'log.snapshot_interval = 0: expected an '
                                'integer >= 1'),
    ('train.scale_range=1.5', 'train.scale_range = 1.5: expected a list '
                              '[low, high]'),
    ('train.scale_range=[2, 1]', 'low <= high'),
    ('train.scale_range=[0, 1]', 'each > 0'),
    ('train.sigma=abc', "train.sigma = 'abc': expected a number"),
    ('train.lr_decoder="1e-3"', "train.lr_decoder = '1e-3': expected a "
                                'number'),
    ('train.momentum=1', 'train.momentum = 1: expected a number >= 0 and '
                         '< 1'),
    ('train.lam=.inf', 'train.lam = .inf'),
    ('train.flip=1', 'train.flip = 1: expected true or false'),
    ('model.backbone=resnet34', "model.backbone = 'resnet34': expected one "
                                'of mobilenetv2, resnet50'),
    ('model.initial_weight=0', 'model.initial_weight = 0'),
    ('model.channels=null', 'model.channels = null: expected an integer'),
    ('dataset.name=coco', "dataset.name = 'coco': expected one of"),
])
def test_bad_values_are_refused_with_key_value_and_expectation(
        override, expected):
    with pytest.raises(ConfigError) as e:
        load_config(None, [override])
    message = str(e.value)
    assert message.startswith('override {!r}: '.format(override))
    assert expected in message
    assert '\n' not in message


def test_bad_value_in_a_file_names_the_file(tmp_path):
    (tmp_path / 'a.yaml').write_text('train:\n  batchsize: 0\n')
    (tmp_path / 'b.yaml').write_text('base: a.yaml\ntrain:\n  lam: 0.2\n')
    with pytest.raises(ConfigError) as e:
        load_config(str(tmp_path / 'b.yaml'))
    assert str(e.value).startswith(str(tmp_path / 'a.yaml') + ': ')
    assert 'train.batchsize = 0: expected an integer >= 1' in str(e.value)


def test_a_later_override_does_not_excuse_a_bad_file(tmp_path):
    path = tmp_path / 'c.yaml'
    path.write_text('train:\n  iterations: 0\n')
    with pytest.raises(ConfigError, match=r'c\.yaml: train\.iterations = 0'):
        load_config(str(path), ['train.iterations=5'])


def test_values_are_normalised():
    config = load_config(None, ['train.lr_decoder=1', 'train.crop_size=[32, '
                                '48]', 'train.scale_range=[1, 2]'])
    assert type(config['train']['lr_decoder']) is float
    assert config['train']['crop_size'] == [32, 48]
    assert [type(v) for v in config['train']['scale_range']] == [float] * 2


def test_every_default_is_valid_and_every_key_declared():
    from sparsemask.training.config import Option
    from sparsemask.training.config import SCHEMA
    for name, entry in SCHEMA.items():
        options = {name: entry} if isinstance(entry, Option) else entry
        for key, option in options.items():
            assert option.check(option.default) == option.default, key
    assert set(DEFAULTS) == set(SCHEMA)


def test_task_is_a_top_level_key(tmp_path):
    assert load_config()['task'] == 'segmentation'
    path = tmp_path / 'c.yaml'
    path.write_text('task: saliency\ndataset:\n  name: msrab\n')
    config = load_config(str(path))
    assert config['task'] == 'saliency'
    assert config['dataset']['name'] == 'msrab'
    assert load_config(str(path), ['task=edge'])['task'] == 'edge'
    # dumped and read back to the same values, task first
    text = dump_config(config)
    assert text.startswith('task: saliency\n')
    again = tmp_path / 'again.yaml'
    again.write_text(text)
    assert load_config(str(again)) == config


@pytest.mark.parametrize('text,message', [
    ('task: depth\n', "task = 'depth': expected one of segmentation, "
                      'saliency, edge'),
    ('task: {a: 1}\n', 'task = {a: 1}: expected one of'),
    ('task: 3\n', 'task = 3: expected one of'),
])
def test_bad_task_is_named(tmp_path, text, message):
    path = tmp_path / 'c.yaml'
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(str(path))
    assert str(path) in str(e.value)
    assert message in str(e.value)


def test_task_override_is_checked():
    with pytest.raises(ConfigError, match="override 'task=x': task = 'x'"):
        load_config(None, ['task=x'])
    with pytest.raises(ConfigError, match='task = {x: 1}: expected one of'):
        load_config(None, ['task.x=1'])


def test_config_items_flattens_the_sections():
    from sparsemask.training.config import config_items
    items = dict(config_items(load_config()))
    assert items['task'] == 'segmentation'
    assert items['train.batchsize'] == DEFAULTS['train']['batchsize']
    assert len(items) == 1 + sum(
        len(v) for v in DEFAULTS.values() if isinstance(v, dict))
