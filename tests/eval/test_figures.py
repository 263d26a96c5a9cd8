import os
import re
import shutil
import stat
import subprocess
import sys

import numpy
from PIL import Image
import pytest

from sparsemask.connectivity import Connectivity
from sparsemask.extensions import load_connection_weights
from sparsemask.extensions import save_connection_weights
from sparsemask.training import dump_config
from sparsemask.training import draw_figures
from sparsemask.training import load_config
from sparsemask.training.report_failure import report_failure
from tests.training.tiny_run import ROOT

FIGURES = os.path.join(ROOT, 'eval', 'figures.py')

# (rates 10x below the demo's: at the demo's, the first updates of this
# tiny random-encoder search blow the parameters up on some CPUs, an AMD
# EPYC with 1 or 2 BLAS threads among them; the figures need a run, not a
# good one)
TINY = ['--config', os.path.join(ROOT, 'configs', 'demo.yaml'),
        'model.width_multiplier=0.25', 'model.channels=8',
        'train.iterations=2', 'train.batchsize=2', 'train.crop_size=32',
        'dataset.n_train=8', 'dataset.n_val=2', 'log.log_interval=1',
        'train.lr_encoder=0.005', 'train.lr_decoder=0.005',
        'train.lr_connection=0.05']

COUNTS = re.compile(
    r'(\d+) connection weights: (\d+) < sigma, (\d+) in \[sigma, 0\.5\), '
    r'(\d+) >= 0\.5 \(sigma = ([0-9.e+-]+)')


def script(name, *args, **kwargs):
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, *name.split('/'))] + list(args),
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, **kwargs)


def figures(*args, **kwargs):
    return script('eval/figures.py', *args, **kwargs)


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('figures')
    search = str(tmp / 'search')
    r = script('train/search.py', '--out', search, *TINY)
    assert r.returncode == 0, r.stdout
    retrain = str(tmp / 'retrain')
    r = script('train/retrain.py', '--out', retrain, *TINY,
               'model.arch=' + os.path.join(search, 'arch.yaml'))
    assert r.returncode == 0, r.stdout
    return search, retrain


def no_dot_env(tmp_path):
    # a PATH without Graphviz
    empty = tmp_path / 'empty_bin'
    empty.mkdir(exist_ok=True)
    return dict(os.environ, PATH=str(empty))


def fake_dot_env(tmp_path):
    # a `dot` that ignores its input and prints a known PNG
    png = tmp_path / 'known.png'
    Image.new('RGB', (40, 20), (255, 0, 0)).save(str(png))
    bin_dir = tmp_path / 'fake_bin'
    bin_dir.mkdir()
    dot = bin_dir / 'dot'
    dot.write_text('#!/bin/sh\n/bin/cat > /dev/null\n'
                   'exec /bin/cat {}\n'.format(png))
    dot.chmod(dot.stat().st_mode | stat.S_IEXEC)
    return dict(os.environ, PATH=str(bin_dir)), png


def check_png(path, min_width=200, min_height=150):
    assert os.path.isfile(path), path
    with Image.open(path) as image:
        assert image.format == 'PNG'
        image.verify()
    with Image.open(path) as image:
        width, height = image.size
        pixels = numpy.asarray(image.convert('RGB'))
    assert min_width <= width <= 4000 and min_height <= height <= 4000, \
        (path, image.size)
    # not blank
    assert pixels.std() > 5, path


def written(stdout):
    return [line[len('wrote '):] for line in stdout.splitlines()
            if line.startswith('wrote ')]


def test_search_and_run(runs, tmp_path):
    search, retrain = runs
    out = str(tmp_path / 'figures')
    r = figures('--search', search, '--run', retrain, '--out', out,
                '--n-images', '2', env=no_dot_env(tmp_path))
    assert r.returncode == 0, r.stdout
    names = ['connection_weights.png', 'connection_weight_histogram.png',
             'architecture.dot', 'architecture.png', 'fdn.dot', 'fdn.png',
             'predictions.png']
    assert sorted(os.listdir(out)) == sorted(names)
    assert written(r.stdout) == [os.path.join(out, n) for n in (
        'connection_weights.png', 'connection_weight_histogram.png',
        'architecture.dot', 'architecture.png', 'fdn.dot', 'fdn.png',
        'predictions.png')]
    for name in names:
        if name.endswith('.png'):
            check_png(os.path.join(out, name))
    # the retraining has the searched architecture: drawn once
    assert 'the same architecture as the search' in r.stdout
    arch = Connectivity.from_yaml(os.path.join(search, 'arch.yaml'))
    with open(os.path.join(out, 'architecture.dot')) as f:
        dot = f.read()
    assert dot.count(' -> D') - dot.count('style=invis') == \
        arch.n_connections
    # two images: two rows of three panels, taller than wide-ish
    with Image.open(os.path.join(out, 'predictions.png')) as image:
        width, height = image.size
    assert height > width / 2
    assert re.search(r'predictions of 2 images of the val split: pixel '
                     r'accuracy [0-9.]+ [0-9.]+$', r.stdout, re.M)


def test_histogram_counts_are_the_npz_counts(runs, tmp_path):
    search, _ = runs
    r = figures('--search', search, '--out', str(tmp_path / 'f'))
    assert r.returncode == 0, r.stdout
    check_counts(r.stdout, os.path.join(search, 'connection_weights.npz'),
                 load_config(os.path.join(search, 'config.yaml'))['train'][
                     'sigma'])


def check_counts(stdout, npz, sigma):
    m = COUNTS.search(stdout)
    assert m, stdout
    with numpy.load(npz) as f:
        w = numpy.concatenate([f[k] for k in f.files if k.endswith('/w')])
    # as the pruning compares them: the float32 weights as Python floats
    # (float32(0.01) < 0.01, which numpy's float32 comparison hides)
    w = w.astype(numpy.float64)
    assert float(m.group(5)) == sigma
    assert [int(g) for g in m.groups()[:4]] == [
        w.size, int((w < sigma).sum()),
        int(((w >= sigma) & (w < 0.5)).sum()), int((w >= 0.5).sum())]


def test_histogram_counts_with_weights_at_the_edges(runs, tmp_path):
    # weights of every kind, sigma and 0.5 included, and another sigma
    search, _ = runs
    copy = str(tmp_path / 'search')
    os.makedirs(copy)
    for name in ('arch.yaml', 'config.yaml'):
        shutil.copy(os.path.join(search, name), copy)
    weights = load_connection_weights(
        os.path.join(search, 'connection_weights.npz'))
    values = [0.0, 0.0, 1e-9, 9e-3, 0.01, 0.02, 0.3, 0.4999, 0.5, 0.9, 1.0]
    k = 0
    for l in sorted(weights):
        for name in sorted(weights[l]):
            weights[l][name] = values[k % len(values)]
            k += 1
    npz = os.path.join(copy, 'connection_weights.npz')
    save_connection_weights(npz, weights)
    config = load_config(os.path.join(copy, 'config.yaml'),
                         ['train.sigma=0.01'])
    with open(os.path.join(copy, 'config.yaml'), 'w') as f:
        f.write(dump_config(config))
    r = figures('--search', copy)
    assert r.returncode == 0, r.stdout
    check_counts(r.stdout, npz, 0.01)
    check_png(os.path.join(copy, 'figures',
                           'connection_weight_histogram.png'))


def test_run_alone_writes_into_run_figures(runs, tmp_path):
    _, retrain = runs
    run = str(tmp_path / 'retrain')
    shutil.copytree(retrain, run)
    r = figures('--run', run, env=no_dot_env(tmp_path))
    assert r.returncode == 0, r.stdout
    out = os.path.join(run, 'figures')
    assert sorted(os.listdir(out)) == [
        'architecture.dot', 'architecture.png', 'predictions.png']
    check_png(os.path.join(out, 'architecture.png'))
    # --n-images 4 by default, but the val split has 2 images
    assert 'predictions of 2 images' in r.stdout
    check_png(os.path.join(out, 'predictions.png'))


def test_run_with_another_architecture_and_no_images(runs, tmp_path):
    search, retrain = runs
    # a search whose architecture differs from the retraining's
    copy = str(tmp_path / 'search')
    shutil.copytree(search, copy)
    Connectivity.unet(9).to_yaml(os.path.join(copy, 'arch.yaml'))
    out = str(tmp_path / 'f')
    r = figures('--search', copy, '--run', retrain, '--out', out,
                '--n-images', '0', env=no_dot_env(tmp_path))
    assert r.returncode == 0, r.stdout
    assert 'run_architecture.png' in os.listdir(out)
    assert 'predictions.png' not in os.listdir(out)


def test_arch_alone(tmp_path):
    arch = os.path.join(ROOT, 'configs', 'arch',
                        'sparsemask_mobilenetv2_voc.yaml')
    out = str(tmp_path / 'f')
    r = figures('--arch', arch, '--out', out, env=no_dot_env(tmp_path))
    assert r.returncode == 0, r.stdout
    assert sorted(os.listdir(out)) == [
        'sparsemask_mobilenetv2_voc.dot', 'sparsemask_mobilenetv2_voc.png']
    check_png(os.path.join(out, 'sparsemask_mobilenetv2_voc.png'))
    assert '15 of 90 connections, decoder stages D8 D7 D6 D1' in r.stdout

    r = figures('--arch', arch, '--out', out, '--name', 'paper',
                env=no_dot_env(tmp_path))
    assert r.returncode == 0, r.stdout
    assert os.path.isfile(os.path.join(out, 'paper.png'))


def test_dot_renders_when_installed(tmp_path):
    env, png = fake_dot_env(tmp_path)
    out = str(tmp_path / 'f')
    r = figures('--arch', os.path.join(ROOT, 'configs', 'arch',
                                       'sparsemask_mobilenetv2_voc.yaml'),
                '--out', out, '--name', 'architecture', env=env)
    assert r.returncode == 0, r.stdout
    with open(os.path.join(out, 'architecture_dot.png'), 'rb') as f, \
            open(str(png), 'rb') as g:
        assert f.read() == g.read()
    assert os.path.join(out, 'architecture_dot.png') in written(r.stdout)


def test_failing_dot_is_a_warning(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    dot = bin_dir / 'dot'
    dot.write_text('#!/bin/sh\necho "syntax error" >&2\nexit 3\n')
    dot.chmod(dot.stat().st_mode | stat.S_IEXEC)
    out = str(tmp_path / 'f')
    r = figures('--arch', os.path.join(ROOT, 'configs', 'arch',
                                       'sparsemask_mobilenetv2_voc.yaml'),
                '--out', out, env=dict(os.environ, PATH=str(bin_dir)))
    assert r.returncode == 0, r.stdout
    assert re.search(r'^warning: .*dot -Tpng failed .*exit status 3.*syntax '
                     r'error', r.stdout, re.M)
    assert not [n for n in os.listdir(out) if n.endswith('_dot.png')]


@pytest.fixture
def fail(capsys):
    # draw_figures in this process: its error as the script reports it
    import matplotlib
    matplotlib.use('Agg')

    def fail(**kwargs):
        with pytest.raises(Exception) as e:
            draw_figures(**kwargs)
        assert report_failure(e.value) == 1
        captured = capsys.readouterr()
        lines = [line for line in captured.err.splitlines()
                 if line.startswith('error:')]
        assert len(lines) == 1, captured.err
        assert 'Traceback' not in captured.err
        return lines[0]
    return fail


def test_errors_name_the_file(runs, tmp_path, fail):
    search, retrain = runs
    missing = str(tmp_path / 'nowhere')
    assert missing in fail(search=missing)
    assert missing in fail(run=missing)
    assert missing in fail(arch=missing, out=str(tmp_path))
    # a retraining is not a search
    line = fail(search=retrain)
    assert 'connection_weights.npz' in line and retrain in line
    # a damaged npz
    copy = str(tmp_path / 'search')
    shutil.copytree(search, copy)
    npz = os.path.join(copy, 'connection_weights.npz')
    with open(npz, 'wb') as f:
        f.write(b'PK\x03\x04 not a zip')
    assert npz in fail(search=copy)
    # a broken arch.yaml
    bad = str(tmp_path / 'bad.yaml')
    with open(bad, 'w') as f:
        f.write('n_stages: 3\n')
    assert bad in fail(arch=bad, out=str(tmp_path))
    # a directory that holds no model
    empty = str(tmp_path / 'empty')
    os.makedirs(empty)
    assert empty in fail(run=empty)


def test_error_from_a_subprocess(tmp_path):
    # the same one line from the script itself
    missing = str(tmp_path / 'nowhere')
    r = figures('--search', missing)
    lines = [line for line in r.stdout.splitlines()
             if line.startswith('error:')]
    assert r.returncode == 1 and len(lines) == 1, r.stdout
    assert missing in lines[0] and 'Traceback' not in r.stdout


@pytest.mark.parametrize('args,message', [
    ([], 'give --search, --run or --arch'),
    (['--arch', 'configs/arch/sparsemask_mobilenetv2_voc.yaml'],
     '--arch alone needs --out'),
    (['--run', '.', '--n-images', '-1'], 'number of images'),
    (['--search', '.', 'dataset.n_val=3'], 'apply to --run only'),
])
def test_usage_errors(args, message):
    r = figures(*args)
    assert r.returncode == 2, r.stdout
    assert message in r.stdout
