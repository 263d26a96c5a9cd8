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
        config = load_config(p)
        # the dump is read back to the same config
        assert load_config(None, ()) is not None
        dumped = dump_config(config)
        import yaml
        assert yaml.safe_load(dumped) == config
