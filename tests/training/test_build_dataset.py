import json
import os
import subprocess
import sys

import numpy
import pytest

from sparsemask.datasets import FolderSemanticSegmentationDataset
from sparsemask.datasets import SyntheticSegmentationDataset
from sparsemask.training import build_dataset
from sparsemask.training import build_datasets
from sparsemask.training import ConfigError
from sparsemask.training import load_config
from tests.datasets import layouts
from tests.training.tiny_run import ROOT


def dataset_config(*overrides):
    return load_config(None, overrides)['dataset']


@pytest.fixture
def folder(tmp_path):
    return layouts.write_folder(str(tmp_path / 'mydata'))


def assert_same_examples(a, b):
    assert len(a) == len(b)
    for i in range(len(a)):
        for x, y in zip(a[i], b[i]):
            numpy.testing.assert_array_equal(x, y)


def test_synthetic_splits():
    c = dataset_config('dataset.n_train=3', 'dataset.n_val=2',
                       'dataset.size=16', 'dataset.seed=5')
    train, names = build_dataset(c, 'train')
    val, _ = build_dataset(c, 'val')
    assert names == SyntheticSegmentationDataset.label_names
    assert isinstance(names, tuple)
    assert_same_examples(train, SyntheticSegmentationDataset(
        3, size=(16, 16), seed=5))
    assert_same_examples(val, SyntheticSegmentationDataset(
        2, size=(16, 16), seed=6))
    # build_datasets: the same, n_val_images on val only
    c['n_val_images'] = 1
    train2, val2, names2 = build_datasets(c)
    assert names2 == names
    assert_same_examples(train2, train)
    assert len(val2) == 1
    numpy.testing.assert_array_equal(val2[0][1], val[0][1])


def test_synthetic_has_train_and_val_only():
    with pytest.raises(ConfigError) as e:
        build_dataset(dataset_config(), 'test')
    assert str(e.value) == ("split = 'test': the synthetic data set has no "
                            'such split; valid: train, val')
    with pytest.raises(ConfigError, match=r"^--split = 'trainaug'"):
        build_dataset(dataset_config(), 'trainaug', '--split')


def test_folder(folder):
    c = dataset_config('dataset.name=folder', 'dataset.folder_dir=' + folder)
    train, names = build_dataset(c, 'train')
    assert isinstance(train, FolderSemanticSegmentationDataset)
    assert names == layouts.FOLDER_CLASSES
    assert train.ids == layouts.FOLDER_SPLITS['train']
    train, val, names = build_datasets(c)
    assert names == layouts.FOLDER_CLASSES
    assert len(train) == 4 and len(val) == 2
    c['n_val_images'] = 1
    train, val, _ = build_datasets(c)
    assert len(train) == 4 and len(val) == 1
    numpy.testing.assert_array_equal(
        val[0][1], layouts.expected_label(layouts.folder_label_for('b0')))


def test_folder_takes_any_split_name(folder):
    layouts.write_lines(os.path.join(folder, 'fold_2.txt'), ['a1', 'b1'])
    c = dataset_config('dataset.name=folder', 'dataset.folder_dir=' + folder,
                       'dataset.train_split=fold_2')
    train, _, _ = build_datasets(c)
    assert train.ids == ['a1', 'b1']
    c['train_split'] = 'nothing'
    with pytest.raises(FileNotFoundError) as e:
        build_datasets(c)
    assert os.path.join(folder, 'nothing.txt') in str(e.value)


def test_folder_needs_its_directory():
    with pytest.raises(ConfigError, match='dataset.folder_dir is needed'):
        build_datasets(dataset_config('dataset.name=folder'))


@pytest.mark.parametrize('overrides,key,value,valid', [
    (['dataset.train_split=test'], 'dataset.train_split', 'test',
     'trainaug, train, val, trainval'),
    (['dataset.val_split=Val'], 'dataset.val_split', 'Val',
     'trainaug, train, val, trainval'),
])
def test_bad_voc_split_names_the_key(overrides, key, value, valid):
    # any string passes the config; the data set's splits are checked when
    # it is built, before any directory is looked at
    c = dataset_config('dataset.name=voc', *overrides)
    with pytest.raises(ConfigError) as e:
        build_datasets(c)
    assert str(e.value) == ('{} = {!r}: the voc data set has no such split; '
                            'valid: {}'.format(key, value, valid))


def test_bad_ade20k_split_names_the_key():
    c = dataset_config('dataset.name=ade20k', 'dataset.val_split=trainaug')
    with pytest.raises(ConfigError, match=r"^dataset.val_split = 'trainaug':"
                                          r'.*ade20k.*valid: train, val$'):
        build_datasets(c)


@pytest.mark.parametrize('override', [
    'dataset.train_split=3', 'dataset.val_split=', "dataset.val_split=''",
    'dataset.name=folders'])
def test_config_still_refuses_non_strings(override):
    with pytest.raises(ConfigError, match=override.split('=')[0]):
        load_config(None, [override])


def test_retrain_on_a_folder_data_set(tmp_path):
    data = layouts.write_folder(str(tmp_path / 'mydata'), size=(40, 48))
    out = str(tmp_path / 'out')
    r = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'train', 'retrain.py'),
         '--config', os.path.join(ROOT, 'configs', 'demo.yaml'),
         '--out', out, 'dataset.name=folder', 'dataset.folder_dir=' + data,
         'model.arch=unet', 'model.width_multiplier=0.25',
         'model.channels=8', 'train.iterations=2', 'train.batchsize=2',
         'train.crop_size=32', 'log.log_interval=1'],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True)
    assert r.returncode == 0, r.stdout
    assert os.path.isfile(os.path.join(out, 'model.npz'))
    assert os.path.isfile(os.path.join(out, 'log'))
    with open(os.path.join(out, 'config.yaml')) as f:
        config = load_config(f.name)
    assert config['dataset']['name'] == 'folder'
    assert config['dataset']['folder_dir'] == data
    # the classifier has the 3 classes of classes.txt
    with numpy.load(os.path.join(out, 'model.npz')) as f:
        assert f['head/W'].shape[:2] == (3, 8)
    # 4 training images, batches of 2: the epoch ends at iteration 2 and
    # the val split is evaluated
    with open(os.path.join(out, 'log')) as f:
        log = json.load(f)
    assert [e['iteration'] for e in log if 'val/main/miou' in e] == [2]
    # per class, by the names of classes.txt
    assert 'val/main/iou/car' in log[-1]


def test_holdout_is_the_end_of_the_training_split_and_not_trained_on():
    from sparsemask.training import build_datasets
    from sparsemask.training import load_config
    config = load_config(None, ['dataset.n_train=10', 'dataset.size=16',
                                'dataset.holdout=3'])['dataset']
    train, val, _ = build_datasets(config)
    full, _ = build_dataset(config, 'train')
    assert len(train) == 7 and len(val) == 3
    for i in range(3):
        numpy.testing.assert_array_equal(val[i][0], full[7 + i][0])
    for i in range(7):
        numpy.testing.assert_array_equal(train[i][1], full[i][1])


def test_holdout_of_the_whole_training_split_is_refused():
    from sparsemask.training import build_datasets
    from sparsemask.training import load_config
    config = load_config(None, ['dataset.n_train=10', 'dataset.size=16',
                                'dataset.holdout=10'])['dataset']
    with pytest.raises(ConfigError, match='dataset.holdout = 10'):
        build_datasets(config)


@pytest.mark.parametrize('task,cls', [
    ('saliency', 'SyntheticSaliencyDataset'),
    ('edge', 'SyntheticEdgeDataset'),
])
def test_synthetic_set_of_each_task(task, cls):
    from sparsemask import datasets
    c = dataset_config('dataset.n_train=3', 'dataset.n_val=2',
                       'dataset.size=16', 'dataset.seed=5')
    train, names = build_dataset(c, 'train', task=task)
    val, _ = build_dataset(c, 'val', task=task)
    expected = getattr(datasets, cls)
    assert names == tuple(expected.label_names) and len(names) == 2
    assert_same_examples(train, expected(3, size=(16, 16), seed=5))
    assert_same_examples(val, expected(2, size=(16, 16), seed=6))
    train2, val2, names2 = build_datasets(c, task)
    assert isinstance(train2, expected) and len(val2) == 2
    if task == 'edge':
        assert len(train.get_boundaries(0)) >= 1


@pytest.mark.parametrize('task,name,valid', [
    ('saliency', 'voc', 'synthetic, msrab'),
    ('edge', 'msrab', 'synthetic, bsds500'),
    ('segmentation', 'bsds500', 'synthetic, benchmark, voc, ade20k, folder'),
])
def test_data_set_of_another_task_is_refused(task, name, valid):
    c = dataset_config('dataset.name=' + name)
    with pytest.raises(ConfigError) as e:
        build_datasets(c, task)
    assert str(e.value) == (
        'dataset.name = {!r} is not a data set of task {!r}; its data '
        'sets: {}'.format(name, task, valid))


@pytest.mark.parametrize('name,key,task', [
    ('msrab', 'msrab_dir', 'saliency'), ('bsds500', 'bsds_dir', 'edge')])
def test_task_data_sets_need_their_directory(name, key, task):
    c = dataset_config('dataset.name=' + name, 'dataset.train_split=train',
                       'dataset.val_split=val')
    with pytest.raises(ConfigError, match='dataset.{} is needed for the {} '
                       'data set'.format(key, name)):
        build_datasets(c, task)


def test_msrab_and_bsds500_splits_are_checked():
    c = dataset_config('dataset.name=msrab')
    with pytest.raises(ConfigError, match="split = 'trainval': the msrab "
                       'data set has no such split; valid: train, val, '
                       'test'):
        build_dataset(c, 'trainval', task='saliency')
    c = dataset_config('dataset.name=bsds500')
    with pytest.raises(ConfigError, match="split = 'trainaug': the bsds500 "
                       'data set has no such split; valid: train, val, '
                       'test, trainval'):
        build_dataset(c, 'trainaug', task='edge')
