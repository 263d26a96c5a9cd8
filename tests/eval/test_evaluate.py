import json
import os
import subprocess
import sys

import numpy
import pytest

from chainercv.evaluations import eval_semantic_segmentation

from sparsemask.connectivity import Connectivity
from sparsemask.training import build_dataset
from sparsemask.training import load_trained_model
from tests.training.tiny_run import ROOT
from tests.training.tiny_run import run

EVALUATE = os.path.join(ROOT, 'eval', 'evaluate.py')
MPIEXEC = os.path.join(os.path.dirname(sys.executable), 'mpiexec')


def evaluate(*args, **kwargs):
    return subprocess.run([sys.executable, EVALUATE] + list(args), cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, **kwargs)


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    # a retraining of an architecture file that is deleted afterwards: the
    # run's own arch.yaml must be enough
    tmp = tmp_path_factory.mktemp('evaluate')
    arch = str(tmp / 'arch.yaml')
    Connectivity(9, {9: ['E9', 'G'], 5: ['E5', 'D9'],
                     1: ['E1', 'E3', 'D5', 'G']}).to_yaml(arch)
    out = str(tmp / 'run')
    r = run('retrain.py', out, 'model.arch={}'.format(arch),
            'train.iterations=3', 'dataset.n_val=5')
    assert r.returncode == 0, r.stdout
    os.remove(arch)
    assert Connectivity.from_yaml(os.path.join(out, 'arch.yaml')) == \
        Connectivity(9, {9: ['E9', 'G'], 5: ['E5', 'D9'],
                         1: ['E1', 'E3', 'D5', 'G']})
    return out


def test_miou_equals_chainercv_on_the_same_predictions(run_dir):
    r = evaluate(run_dir)
    assert r.returncode == 0, r.stdout
    path = os.path.join(run_dir, 'eval_val_single_scale.json')
    assert 'results in {}'.format(path) in r.stdout
    assert 'mIoU' in r.stdout and 'background' in r.stdout
    with open(path) as f:
        report = json.load(f)
    model, config = load_trained_model(out=run_dir)
    val, names = build_dataset(config['dataset'], 'val')
    assert report['n_images'] == len(val) == 5
    preds = model.predict([img for img, _ in val])
    expected = eval_semantic_segmentation(preds, [lbl for _, lbl in val])
    assert report['miou'] == pytest.approx(expected['miou'], rel=1e-9)
    assert report['pixel_accuracy'] == pytest.approx(
        expected['pixel_accuracy'], rel=1e-9)
    assert report['mean_class_accuracy'] == pytest.approx(
        expected['mean_class_accuracy'], rel=1e-9)
    assert list(report['iou']) == list(names)
    for name, iou in zip(names, expected['iou']):
        got = report['iou'][name]
        assert (got is None and iou != iou) or got == pytest.approx(iou)
    # the printed mIoU is the JSON's
    assert '{:.2f}'.format(100 * report['miou']) in r.stdout


def test_multi_scale_flip_and_padding_run(run_dir, tmp_path):
    path = str(tmp_path / 'ms.json')
    r = evaluate(run_dir, '--scales', '0.5,1.0,1.5', '--flip', '--pad-to',
                 '40', '--json', path, '--split', 'val', '--n-images', '3')
    assert r.returncode == 0, r.stdout
    with open(path) as f:
        report = json.load(f)
    assert report['protocol'] == 'ms0.5-1-1.5_flip_pad40'
    assert report['scales'] == [0.5, 1.0, 1.5] and report['flip']
    assert report['pad_to'] == [40, 40] and report['n_images'] == 3
    assert 0 <= report['miou'] <= 1
    assert numpy.sum(report['confusion']) == 3 * 32 * 32


def test_explicit_config_model_and_arch(run_dir, tmp_path):
    path = str(tmp_path / 'explicit.json')
    r = evaluate('--config', os.path.join(run_dir, 'config.yaml'),
                 '--model', os.path.join(run_dir, 'snapshot_iter_3'),
                 '--arch', os.path.join(run_dir, 'arch.yaml'),
                 '--json', path)
    assert r.returncode == 0, r.stdout
    with open(path) as f:
        from_snapshot = json.load(f)
    with open(os.path.join(run_dir, 'eval_val_single_scale.json')) as f:
        from_dir = json.load(f)
    # the last snapshot holds the final model
    assert from_snapshot['confusion'] == from_dir['confusion']


@pytest.mark.skipif(not os.path.exists(MPIEXEC),
                    reason='mpiexec not installed (pip install mpich)')
def test_two_processes_sum_to_the_single_process_result(run_dir, tmp_path):
    path = str(tmp_path / 'mn.json')
    r = subprocess.run(
        [MPIEXEC, '-n', '2', sys.executable, EVALUATE, run_dir,
         '--communicator', 'naive', '--json', path], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=300)
    assert r.returncode == 0, r.stdout
    assert r.stdout.count('mIoU') == 1  # rank 0 reports
    with open(path) as f:
        mn = json.load(f)
    with open(os.path.join(run_dir, 'eval_val_single_scale.json')) as f:
        single = json.load(f)
    assert mn['processes'] == 2
    assert mn['confusion'] == single['confusion']


@pytest.mark.parametrize('args,expected', [
    (['{tmp}/nowhere'], '{tmp}/nowhere is not a directory'),
    (['{tmp}'], '{tmp} holds no config.yaml'),
    (['--config', 'configs/demo.yaml'], '--config needs --model'),
    (['{run}', 'dataset.n_val=0'], 'dataset.n_val = 0'),
    (['{run}', '--split', 'test'], 'test'),
    (['{run}', 'model.channels=8'], 'does not match the model'),
])
def test_bad_input_is_one_line(run_dir, tmp_path, args, expected):
    fill = {'tmp': str(tmp_path), 'run': run_dir}
    r = evaluate(*[a.format(**fill) for a in args])
    assert r.returncode == 1, r.stdout
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), r.stdout
    assert expected.format(**fill) in lines[0]


def test_bad_scales_are_refused_by_the_parser(run_dir):
    r = evaluate(run_dir, '--scales', '0,1')
    assert r.returncode == 2
    assert 'expected positive scales' in r.stdout


def _json_cases(tmp):
    # (the --json given, what the one error line says about it)
    os.makedirs(os.path.join(tmp, 'dir'))
    with open(os.path.join(tmp, 'file'), 'w') as f:
        f.write('')
    cases = [
        (os.path.join(tmp, 'nowhere', 'r.json'),
         'the directory {} does not exist'.format(
             os.path.join(tmp, 'nowhere'))),
        (os.path.join(tmp, 'file', 'r.json'),
         '{} is a file, not a directory'.format(os.path.join(tmp, 'file'))),
        (os.path.join(tmp, 'dir'), 'it is a directory; give a file name'),
    ]
    if os.geteuid() != 0:       # root writes into read-only directories
        os.makedirs(os.path.join(tmp, 'ro'))
        os.chmod(os.path.join(tmp, 'ro'), 0o555)
        cases.append((os.path.join(tmp, 'ro', 'r.json'),
                      'no file can be created in the directory {}: '
                      'Permission denied'.format(os.path.join(tmp, 'ro'))))
    return cases


def test_an_unwritable_json_is_refused_before_the_evaluation(run_dir,
                                                             tmp_path):
    for path, why in _json_cases(str(tmp_path)):
        r = evaluate(run_dir, '--json', path)
        assert r.returncode == 1, r.stdout
        # one line, before any metric
        assert r.stdout.strip().splitlines() == [
            'error: {}: cannot be written: {}'.format(path, why)], r.stdout
        assert '.tmp' not in r.stdout
    if os.path.isdir(str(tmp_path / 'ro')):
        os.chmod(str(tmp_path / 'ro'), 0o755)
    assert sorted(os.listdir(str(tmp_path))) in (['dir', 'file'],
                                                 ['dir', 'file', 'ro'])
    assert os.listdir(str(tmp_path / 'dir')) == []


def test_the_default_json_is_checked_before_the_evaluation(run_dir,
                                                           tmp_path):
    # a run directory that became read-only: here, where root may write
    # anyway, eval_val_single_scale.json is a directory
    import shutil
    run = str(tmp_path / 'run')
    shutil.copytree(run_dir, run)
    path = os.path.join(run, 'eval_val_single_scale.json')
    if os.path.isfile(path):
        os.remove(path)
    os.makedirs(path)
    r = evaluate(run)
    assert r.returncode == 1, r.stdout
    assert r.stdout.strip().splitlines() == [
        'error: {}: cannot be written: it is a directory; give a file '
        'name'.format(path)], r.stdout


@pytest.mark.parametrize('how', ['removed', 'replaced_by_a_file'])
def test_metrics_are_printed_when_the_json_cannot_be_written_at_the_end(
        run_dir, tmp_path, capsys, monkeypatch, how):
    # the directory of --json vanishes during the evaluation: the metrics
    # are printed all the same, then the error names --json
    import importlib
    import shutil

    from sparsemask.training.report_failure import report_failure
    module = importlib.import_module(
        'sparsemask.training.evaluate_trained_model')
    directory = str(tmp_path / 'results')
    os.makedirs(directory)
    path = os.path.join(directory, 'r.json')
    evaluate_segmentation = module.evaluate_segmentation

    def evaluate_and_remove(*args, **kwargs):
        result = evaluate_segmentation(*args, **kwargs)
        shutil.rmtree(directory)
        if how == 'replaced_by_a_file':
            with open(directory, 'w') as f:
                f.write('')
        return result

    monkeypatch.setattr(module, 'evaluate_segmentation',
                        evaluate_and_remove)
    with pytest.raises(OSError) as info:
        module.evaluate_trained_model(run=run_dir, json_path=path)
    assert report_failure(info.value) == 1
    captured = capsys.readouterr()
    assert 'mIoU' in captured.out and 'background' in captured.out
    assert 'results in' not in captured.out
    errors = captured.err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith(
        'error: {}: the results (printed above) were not written: '.format(
            path)), captured.err
    assert '.tmp' not in captured.err
    assert not os.path.exists(path)


def test_onnxruntime_equals_chainer(run_dir, tmp_path):
    pytest.importorskip('onnxruntime')
    reports = {}
    for runtime in ('chainer', 'onnxruntime'):
        path = str(tmp_path / (runtime + '.json'))
        r = evaluate(run_dir, '--runtime', runtime, '--json', path,
                     '--scales', '0.75,1.0', '--flip')
        assert r.returncode == 0, r.stdout
        assert ('ONNX Runtime' in r.stdout) == (runtime == 'onnxruntime')
        with open(path) as f:
            reports[runtime] = json.load(f)
        assert reports[runtime]['runtime'] == runtime
    chainer_, ort = reports['chainer'], reports['onnxruntime']
    # the same predictions up to the rounding of the two runtimes: at most
    # a few pixels (ties of the argmax) may differ
    confusion = numpy.array(chainer_['confusion'])
    changed = numpy.abs(numpy.array(ort['confusion']) - confusion).sum()
    assert changed <= 1e-3 * confusion.sum()
    assert ort['miou'] == pytest.approx(chainer_['miou'], abs=1e-3)
    assert ort['n_images'] == chainer_['n_images'] == 5


def test_onnxruntime_default_json_and_gpu_refused(run_dir):
    pytest.importorskip('onnxruntime')
    r = evaluate(run_dir, '--runtime', 'onnxruntime', '--n-images', '1')
    assert r.returncode == 0, r.stdout
    assert os.path.isfile(os.path.join(
        run_dir, 'eval_val_single_scale_onnxruntime.json'))
    r = evaluate(run_dir, '--runtime', 'onnxruntime', '--gpu', '0')
    assert r.returncode != 0
    assert r.stdout.strip().splitlines()[-1] == \
        'error: --runtime onnxruntime runs on the CPU: drop --gpu 0'
