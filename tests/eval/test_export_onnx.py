"""eval/export_onnx.py run as a script on a tiny trained run (the export
itself: tests/export/test_export_onnx.py)."""

import os
import re
import subprocess
import sys

import pytest

onnx = pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')

from tests.training.tiny_run import ROOT  # NOQA: E402

EXPORT = os.path.join(ROOT, 'eval', 'export_onnx.py')
TOLERANCE = 1e-4

pytestmark = pytest.mark.filterwarnings(
    'ignore:external_converters is experimental:FutureWarning')


def export_script(*args):
    return subprocess.run([sys.executable, EXPORT] + list(args), cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('export') / 'run')
    r = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'train', 'retrain.py'),
         '--config', os.path.join(ROOT, 'configs', 'demo.yaml'),
         '--out', out, 'model.arch=unet', 'model.width_multiplier=0.25',
         'model.channels=8', 'train.iterations=2', 'train.batchsize=2',
         'train.crop_size=32', 'dataset.n_train=8', 'dataset.n_val=2',
         'log.log_interval=1'],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True)
    assert r.returncode == 0, r.stdout
    return out


def _difference(stdout):
    m = re.search(r'max abs difference onnxruntime vs chainer: (\S+)',
                  stdout)
    assert m, stdout
    return float(m.group(1))


def test_script_exports_and_checks(run_dir):
    r = export_script(run_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert _difference(r.stdout) < TOLERANCE
    path = os.path.join(run_dir, 'model.onnx')
    assert 'wrote {} '.format(path) in r.stdout
    onnx_model = onnx.load(path)
    onnx.checker.check_model(onnx_model)
    # one input, x, of the config's crop size, batch 1
    assert [i.name for i in onnx_model.graph.input] == ['x']
    dims = [d.dim_value for d in
            onnx_model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 32, 32]
    assert not [f for f in os.listdir(run_dir) if f.endswith('.tmp')]


def test_script_size_output_and_unfused(run_dir, tmp_path):
    path = str(tmp_path / 'unfused.onnx')
    r = export_script(run_dir, '--size', '33', '47', '--output', path,
                      'model.fused=false')
    assert r.returncode == 0, r.stdout + r.stderr
    assert _difference(r.stdout) < TOLERANCE
    onnx_model = onnx.load(path)
    assert [d.dim_value for d in
            onnx_model.graph.output[0].type.tensor_type.shape.dim][2:] == \
        [33, 47]


def test_script_fails_above_the_tolerance(run_dir, tmp_path):
    path = str(tmp_path / 'model.onnx')
    with open(path, 'w') as f:
        f.write('old')
    r = export_script(run_dir, '--output', path, '--tolerance', '0')
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: the ONNX model '
                                                   'differs'), r.stderr
    with open(path) as f:
        assert f.read() == 'old'
    assert os.listdir(str(tmp_path)) == ['model.onnx']


# --- (d) bad input -------------------------------------------------------

@pytest.mark.parametrize('layout', ['empty', 'config_only', 'missing'])
def test_script_names_a_directory_without_a_model(run_dir, tmp_path, layout):
    out = str(tmp_path / 'run')
    if layout != 'missing':
        os.makedirs(out)
    if layout == 'config_only':
        with open(os.path.join(run_dir, 'config.yaml')) as f:
            text = f.read()
        with open(os.path.join(out, 'config.yaml'), 'w') as f:
            f.write(text)
    r = export_script(out)
    assert r.returncode == 1
    assert 'Traceback' not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ' + out), lines
    assert not os.path.exists(os.path.join(out, 'model.onnx'))


@pytest.mark.parametrize('args,message', [
    (['--opset', '9'], '--opset 9'),
    (['--tolerance', '-1'], '--tolerance'),
    (['--output', '/nonexistent/dir/m.onnx'], '/nonexistent/dir'),
])
def test_script_option_errors(run_dir, args, message):
    r = export_script(run_dir, *args)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ')
    assert message in lines[0]


def test_script_refuses_an_unwritable_output_before_exporting(run_dir,
                                                              tmp_path):
    tmp = str(tmp_path)
    os.makedirs(os.path.join(tmp, 'dir'))
    with open(os.path.join(tmp, 'file'), 'w') as f:
        f.write('')
    cases = [
        (os.path.join(tmp, 'nowhere', 'm.onnx'),
         'the directory {} does not exist'.format(
             os.path.join(tmp, 'nowhere'))),
        (os.path.join(tmp, 'file', 'm.onnx'),
         '{} is a file, not a directory'.format(os.path.join(tmp, 'file'))),
        (os.path.join(tmp, 'dir'), 'it is a directory; give a file name'),
    ]
    if os.geteuid() != 0:       # root writes into read-only directories
        os.makedirs(os.path.join(tmp, 'ro'))
        os.chmod(os.path.join(tmp, 'ro'), 0o555)
        cases.append((os.path.join(tmp, 'ro', 'm.onnx'),
                      'no file can be created in the directory {}: '
                      'Permission denied'.format(os.path.join(tmp, 'ro'))))
    try:
        for path, why in cases:
            r = export_script(run_dir, '--output', path)
            assert r.returncode == 1, r.stdout + r.stderr
            assert r.stdout == ''
            assert r.stderr.strip().splitlines() == [
                'error: {}: cannot be written: {}'.format(path, why)], \
                r.stderr
    finally:
        if os.path.isdir(os.path.join(tmp, 'ro')):
            os.chmod(os.path.join(tmp, 'ro'), 0o755)
    assert os.listdir(os.path.join(tmp, 'dir')) == []


def test_script_names_output_when_its_directory_vanishes(run_dir, tmp_path,
                                                         capsys,
                                                         monkeypatch):
    # removed after the check: the error names --output, not the hidden
    # temporary file the export writes first
    import importlib
    import shutil

    from sparsemask.training.report_failure import report_failure
    module = importlib.import_module(
        'sparsemask.training.export_trained_model')
    directory = str(tmp_path / 'out')
    os.makedirs(directory)
    path = os.path.join(directory, 'm.onnx')
    load = module.load_trained_model

    def load_and_remove(**kwargs):
        loaded = load(**kwargs)
        shutil.rmtree(directory)
        return loaded

    monkeypatch.setattr(module, 'load_trained_model', load_and_remove)
    with pytest.raises(OSError) as info:
        module.export_trained_model(run_dir, output=path)
    assert report_failure(info.value) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors == ['error: {}: No such file or directory'.format(path)]
