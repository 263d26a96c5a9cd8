"""The saliency and edge tasks through the same scripts as segmentation:
``train/search.py`` -> ``train/retrain.py`` -> ``eval/evaluate.py`` ->
``eval/figures.py`` on their synthetic data sets (``task: saliency |
edge``)."""

import json
import os
import subprocess
import sys

import numpy
import pytest

from sparsemask.evaluations import evaluate_edges
from sparsemask.evaluations import evaluate_saliency
from sparsemask.training import build_dataset
from sparsemask.training import load_config
from sparsemask.training import load_trained_model
from tests.training.test_baselines_end_to_end import run_script
from tests.training.tiny_run import ROOT
from tests.training.tiny_run import run


pytest.importorskip('py_sod_metrics')
pytest.importorskip('pyEdgeEval')

VALIDATION = {'saliency': ('max_fbeta', 'mae'),
              'edge': ('ods', 'ois', 'ap')}


def _log(out):
    with open(os.path.join(out, 'log')) as f:
        return json.load(f)


@pytest.mark.parametrize('task', ['saliency', 'edge'])
def test_search_retrain_evaluate_and_draw(tmp_path, task):
    search = str(tmp_path / 'search')
    r = run('search.py', search, 'task=' + task,
            'log.snapshot_interval=1000')
    assert r.returncode == 0, r.stdout
    logged = [e for e in _log(search) if 'val/main/' + VALIDATION[task][0]
              in e]
    assert logged, r.stdout
    for key in VALIDATION[task]:
        value = logged[-1]['val/main/' + key]
        assert 0 <= value <= 1, (key, value)
    assert 'main/sparse_loss' in _log(search)[-1]
    assert os.path.isfile(os.path.join(search, VALIDATION[task][0] + '.png'))

    retrain = str(tmp_path / 'retrain')
    r = run('retrain.py', retrain, 'task=' + task, 'train.iterations=4',
            'log.snapshot_interval=1000',
            'model.arch=' + os.path.join(search, 'arch.yaml'))
    assert r.returncode == 0, r.stdout
    model, config = load_trained_model(retrain)
    assert config['task'] == task and model.n_class == 1
    label = model.predict([numpy.zeros((3, 20, 24), numpy.float32)])[0]
    assert label.shape == (20, 24) and set(numpy.unique(label)) <= {0, 1}

    r = run_script('eval/evaluate.py', retrain, '--thresholds', '9')
    assert r.returncode == 0, r.stdout
    path = os.path.join(retrain, 'eval_val_single_scale.json')
    with open(path) as f:
        report = json.load(f)
    assert report['task'] == task and report['n_images'] == 4
    # the script's numbers are those of the library functions called here
    dataset, _ = build_dataset(config['dataset'], 'val', task=task)
    if task == 'saliency':
        direct = evaluate_saliency(model, dataset)
        keys = ('max_fbeta', 'mean_fbeta', 'adaptive_fbeta', 'mae')
    else:
        direct = evaluate_edges(model, dataset, thresholds=9)
        keys = ('ods', 'ois', 'ap', 'r50')
        assert report['nms'] is True and report['n_thresholds'] == 9
        assert len(report['thresholds']) == 9
    # (the BSDS matching of pyEdgeEval, as Berkeley's, breaks ties with a
    # generator seeded by the clock: a pixel or two may match differently
    # from run to run)
    tolerance = 0 if task == 'saliency' else 0.05
    for key in keys:
        if direct[key] is None or direct[key] != direct[key]:
            assert report[key] is None
        else:
            assert 0 <= report[key] <= 1
            numpy.testing.assert_allclose(report[key], direct[key],
                                          rtol=1e-6, atol=tolerance)
    assert ('max F_beta' if task == 'saliency' else 'ODS') in r.stdout

    figures = str(tmp_path / 'figures')
    r = run_script('eval/figures.py', '--search', search, '--run', retrain,
                   '--n-images', '2', '--out', figures)
    assert r.returncode == 0, r.stdout
    assert 'predictions.png' in os.listdir(figures)
    assert ('MAE (pysodmetrics, as eval/evaluate.py)' if task == 'saliency'
            else 'F at the best threshold (OIS)') in r.stdout, r.stdout


def test_resume_with_another_task_is_refused(tmp_path):
    out = str(tmp_path / 'run')
    r = run('retrain.py', out, 'task=saliency', 'train.iterations=2',
            'model.arch=fcn', 'log.snapshot_interval=1000')
    assert r.returncode == 0, r.stdout
    r = run('retrain.py', out, 'task=edge', 'train.iterations=2',
            'model.arch=fcn', '--resume')
    assert r.returncode == 1
    assert "task: 'saliency' -> 'edge'" in r.stdout, r.stdout


def test_segmentation_model_on_a_saliency_config_is_refused(tmp_path):
    out = str(tmp_path / 'seg')
    r = run('retrain.py', out, 'train.iterations=1', 'model.arch=fcn',
            'log.snapshot_interval=1000')
    assert r.returncode == 0, r.stdout
    r = run_script('eval/evaluate.py', out, 'task=saliency')
    assert r.returncode == 1
    assert 'the model predicts 5 classes but the saliency task needs one ' \
        'map' in r.stdout, r.stdout


@pytest.mark.parametrize('name', ['msrab_mobilenetv2', 'bsds_vgg16',
                                  'saliency_synthetic', 'edge_synthetic'])
def test_task_configs_load(name):
    config = load_config(os.path.join(ROOT, 'configs', name + '.yaml'))
    task = 'saliency' if 'sal' in name or 'msrab' in name else 'edge'
    assert config['task'] == task
    if name == 'bsds_vgg16':
        assert config['model']['backbone'] == 'vgg16'
        assert config['dataset']['train_split'] == 'trainval'


def test_edge_task_on_vgg16_with_the_transferred_architecture(tmp_path):
    # configs/bsds_vgg16.yaml's model: the VOC architecture of MobileNetV2
    # moved to VGG16's 5 stages (paper 4.3), one sigmoid map; HED's
    # rotations on
    out = str(tmp_path / 'vgg16')
    r = run('retrain.py', out, 'task=edge', 'model.backbone=vgg16',
            'model.arch=' + os.path.join(
                ROOT, 'configs', 'arch', 'sparsemask_mobilenetv2_voc.yaml'),
            'model.arch_backbone=mobilenetv2', 'train.rotate=true',
            'train.iterations=2', 'train.batchsize=2',
            'log.snapshot_interval=1000', 'log.eval_interval=2')
    assert r.returncode == 0, r.stdout
    model, config = load_trained_model(out)
    assert type(model.backbone).__name__ == 'VGG16'
    assert model.n_class == 1 and model.connectivity.n_stages == 5
    entry = [e for e in _log(out) if 'val/main/ods' in e][-1]
    assert 0 <= entry['val/main/ods'] <= 1


MPIEXEC = os.path.join(os.path.dirname(sys.executable), 'mpiexec')


@pytest.mark.skipif(not os.path.exists(MPIEXEC),
                    reason='mpiexec not installed (pip install mpich)')
def test_saliency_evaluation_under_mpiexec_equals_one_process(tmp_path):
    out = str(tmp_path / 'run')
    r = run('retrain.py', out, 'task=saliency', 'train.iterations=2',
            'model.arch=fcn', 'dataset.n_val=5',
            'log.snapshot_interval=1000')
    assert r.returncode == 0, r.stdout
    r = run_script('eval/evaluate.py', out)
    assert r.returncode == 0, r.stdout
    path = str(tmp_path / 'mn.json')
    r = subprocess.run(
        [MPIEXEC, '-n', '2', sys.executable,
         os.path.join(ROOT, 'eval', 'evaluate.py'), out,
         '--communicator', 'naive', '--json', path], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=300)
    assert r.returncode == 0, r.stdout
    assert r.stdout.count('max F_beta') == 1  # rank 0 reports
    with open(path) as f:
        mn = json.load(f)
    with open(os.path.join(out, 'eval_val_single_scale.json')) as f:
        single = json.load(f)
    assert mn['processes'] == 2 and mn['n_images'] == single['n_images'] == 5
    for key in ('max_fbeta', 'mean_fbeta', 'adaptive_fbeta', 'mae'):
        numpy.testing.assert_allclose(mn[key], single[key], rtol=1e-6)
