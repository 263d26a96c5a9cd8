"""scripts/offline_bundle.sh: the offline environment for a GPU node.

Builds the bundle (it downloads about 150 MB of wheels), installs it into a
temporary directory without network and runs the installed environment.
Set ``SPARSEMASK_OFFLINE_BUNDLE`` to the output directory of an earlier
``make offline-bundle`` (``result/offline_bundle``) to reuse it.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import numpy
import pytest


pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'scripts', 'offline_bundle.sh')
NAME = 'sparsemask-offline.tar.part-'
MAX_PART = 60 * 2 ** 20


def _offline_env():
    """The environment of an install that must not use the network.

    Returns:
        dict: ``os.environ`` without pip's index and find-links settings,
        with ``PIP_NO_INDEX`` and proxies that lead nowhere.

    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('PIP_', 'PYTHON'))
           and k.lower() not in ('http_proxy', 'https_proxy', 'no_proxy')}
    env.update(PIP_NO_INDEX='1', https_proxy='http://127.0.0.1:9',
               http_proxy='http://127.0.0.1:9',
               HTTPS_PROXY='http://127.0.0.1:9',
               HTTP_PROXY='http://127.0.0.1:9')
    return env


def _no_network_prefix():
    """``unshare -n`` (a network namespace with no interface) if it works.

    Returns:
        list of str: the command prefix, empty where namespaces are denied.

    """
    try:
        r = subprocess.run(['unshare', '-n', 'true'], capture_output=True)
    except OSError:
        return []
    return ['unshare', '-n'] if r.returncode == 0 else []


def _parts(bundle):
    return sorted(f for f in os.listdir(bundle) if f.startswith(NAME))


@pytest.fixture(scope='module')
def bundle(tmp_path_factory):
    """The bundle's directory: built here or given by the environment."""
    given = os.environ.get('SPARSEMASK_OFFLINE_BUNDLE')
    if given:
        if not os.path.isfile(os.path.join(given, 'SHA256SUMS')):
            pytest.fail('SPARSEMASK_OFFLINE_BUNDLE={} holds no bundle '
                        '(no SHA256SUMS)'.format(given))
        return given
    out = str(tmp_path_factory.mktemp('offline_bundle'))
    start = time.time()
    r = subprocess.run(['bash', SCRIPT, '--out', out,
                        '--python', sys.executable],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    assert r.returncode == 0, r.stdout
    print('bundle built in {:.0f} s'.format(time.time() - start))
    return out


@pytest.fixture(scope='module')
def installed(bundle, tmp_path_factory):
    """DEST of ``bash install.sh DEST`` run without network."""
    dest = str(tmp_path_factory.mktemp('offline_env'))
    start = time.time()
    r = subprocess.run(
        _no_network_prefix()
        + ['bash', os.path.join(bundle, 'install.sh'), dest],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, env=_offline_env(),
        cwd=str(tmp_path_factory.mktemp('cwd')))
    assert r.returncode == 0, r.stdout
    print('installed in {:.0f} s'.format(time.time() - start))
    return dest


def _run_installed(dest, code, cwd):
    """Runs Python code with the installed venv, away from the checkout.

    Args:
        dest (str): the install's DEST.
        code (str): the program; it prints one JSON object last.
        cwd (str): a directory outside the repository.

    Returns:
        dict: the JSON object.

    """
    env = _offline_env()
    env.update(CHAINER_WARN_VERSION_MISMATCH='0',
               PYTHONWARNINGS='ignore::UserWarning:cupy._environment')
    r = subprocess.run([os.path.join(dest, 'venv', 'bin', 'python'), '-c',
                        code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, env=env, cwd=cwd)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_parts_are_at_most_60_mib(bundle):
    parts = _parts(bundle)
    assert parts, os.listdir(bundle)
    sizes = {p: os.path.getsize(os.path.join(bundle, p)) for p in parts}
    assert all(s <= MAX_PART for s in sizes.values()), sizes
    with open(os.path.join(bundle, 'SHA256SUMS')) as f:
        assert [line.split()[1] for line in f] == parts


def test_installed_environment_imports(installed, tmp_path):
    got = _run_installed(installed, '''
import json, os, sys
import chainer, chainercv, cupy, numpy, sparsemask
from sparsemask.cuda import kernel_path, kernel_source
print(json.dumps({
    'python': list(sys.version_info[:2]), 'prefix': sys.base_prefix,
    'numpy': numpy.__version__, 'chainer': chainer.__version__,
    'chainercv': chainercv.__version__, 'cupy': cupy.__version__,
    'sparsemask': sparsemask.__file__,
    'kernel': kernel_path('fdn_stage.cu'),
    'source': kernel_source('fdn_stage.cu')}))
''', str(tmp_path))
    assert got['python'] == [3, 10]
    assert got['prefix'] == os.path.join(installed, 'python')
    assert got['numpy'] == '1.23.5'
    assert got['chainer'] == '7.8.1'
    assert got['chainercv'] == '0.13.1'
    assert got['cupy'].startswith('13.6.')
    site = os.path.join(installed, 'venv', 'lib', 'python3.10',
                        'site-packages')
    assert got['sparsemask'].startswith(site)
    assert got['kernel'] == os.path.join(site, 'sparsemask', 'kernels',
                                         'fdn_stage.cu')
    assert '__global__' in got['source']


def _bilinear(x, size):
    # align_corners=True, as chainer.functions.resize_images
    def matrix(n_out, n_in):
        s = numpy.linspace(0, n_in - 1, n_out)
        m = numpy.zeros((n_out, n_in))
        for o, v in enumerate(s):
            i = min(int(numpy.floor(v)), n_in - 1)
            j = min(i + 1, n_in - 1)
            m[o, i] += 1 - (v - i)
            m[o, j] += v - i
        return m
    H, W = size
    return numpy.einsum('Hh,nchw,Ww->ncHW', matrix(H, x.shape[2]), x,
                        matrix(W, x.shape[3]))


def test_installed_fdn_stage_forward_on_cpu(installed, tmp_path):
    rng = numpy.random.RandomState(0)
    xs = [rng.randn(1, 3, 4, 4), rng.randn(1, 3, 2, 2)]
    Ws = [rng.randn(5, 3), rng.randn(5, 3)]
    got = _run_installed(installed, '''
import json
import numpy, chainer
from sparsemask.functions import fdn_stage
a = json.loads({!r})
xs = [numpy.asarray(x, numpy.float32) for x in a['xs']]
Ws = [numpy.asarray(W, numpy.float32) for W in a['Ws']]
with chainer.using_config('train', False):
    y = fdn_stage(xs, Ws, (4, 4),
                  running_mean=numpy.zeros((2, 5), numpy.float32),
                  running_var=numpy.ones((2, 5), numpy.float32))
print(json.dumps({{'y': y.array.tolist()}}))
'''.format(json.dumps({'xs': [x.tolist() for x in xs],
                       'Ws': [W.tolist() for W in Ws]})), str(tmp_path))
    y = numpy.asarray(got['y'])
    assert y.shape == (1, 5, 4, 4)
    assert numpy.isfinite(y).all()
    # test mode, gamma 1, beta 0, mean 0, var 1, w 1:
    # y = sum_t up(W_t x_t) / sqrt(1 + eps)
    expect = sum(_bilinear(numpy.einsum('oc,nchw->nohw', W, x), (4, 4))
                 for x, W in zip(xs, Ws)) / numpy.sqrt(1 + 2e-5)
    numpy.testing.assert_allclose(y, expect, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('damage', ['truncate', 'remove'])
def test_a_damaged_part_stops_the_install(bundle, tmp_path, damage):
    copy = tmp_path / 'bundle'
    copy.mkdir()
    for f in _parts(bundle) + ['SHA256SUMS', 'install.sh']:
        shutil.copy(os.path.join(bundle, f), str(copy / f))
    victim = _parts(bundle)[-1]
    if damage == 'truncate':
        with open(str(copy / victim), 'r+b') as f:
            f.truncate(1000)
    else:
        os.remove(str(copy / victim))
    dest = tmp_path / 'dest'
    r = subprocess.run(['bash', str(copy / 'install.sh'), str(dest)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, env=_offline_env())
    assert r.returncode != 0
    assert victim in r.stdout, r.stdout
    assert ('checksum mismatch' if damage == 'truncate'
            else 'missing part') in r.stdout
    assert not (dest / 'venv').exists()


# ------------------------------------------------------------ --minimal

MINIMAL_PART = 56 * 2 ** 20
#: what the minimal bundle installs: Chainer's tier and nothing of the
#: optional extras (onnx, scipy, the task metrics, ...)
MINIMAL_TOP = {'numpy', 'chainer', 'chainercv', 'cupy-cuda13x', 'pillow',
               'pyyaml', 'matplotlib', 'pytest', 'pip', 'setuptools'}


@pytest.fixture(scope='module')
def minimal_bundle(tmp_path_factory):
    """``offline_bundle.sh --minimal``'s output (or
    ``SPARSEMASK_MINIMAL_BUNDLE``, e.g. result/offline_bundle_minimal)."""
    given = os.environ.get('SPARSEMASK_MINIMAL_BUNDLE')
    if given:
        return given
    out = str(tmp_path_factory.mktemp('offline_bundle_minimal'))
    r = subprocess.run(['bash', SCRIPT, '--minimal', '--out', out,
                        '--python', sys.executable],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    assert r.returncode == 0, r.stdout
    return out


def test_minimal_bundle_is_two_parts_for_two_calls(minimal_bundle,
                                                   tmp_path):
    parts = _parts(minimal_bundle)
    sizes = [os.path.getsize(os.path.join(minimal_bundle, p))
             for p in parts]
    # one part and a working tree of up to 8 MiB fit one call's 64 MiB
    assert len(parts) == 2 and all(s <= MINIMAL_PART for s in sizes), sizes
    tree = tmp_path / 'tree'
    tree.mkdir()
    cat = subprocess.Popen(['cat'] + [os.path.join(minimal_bundle, p)
                                      for p in parts],
                           stdout=subprocess.PIPE)
    subprocess.run(['tar', '-C', str(tree), '-xf', '-'], stdin=cat.stdout,
                   check=True)
    assert cat.wait() == 0
    inner = tree / 'sparsemask-offline'
    assert (inner / 'MINIMAL').is_file()
    names = {line.split('==')[0] for line in
             (inner / 'requirements.txt').read_text().split()}
    assert MINIMAL_TOP <= names
    assert 'sparsemask' not in names
    for extra in ('onnx', 'onnxruntime', 'scipy', 'scikit-image',
                  'opencv-python-headless', 'mpi4py'):
        assert extra not in names, extra


def test_minimal_bundle_trains_offline_from_a_checkout(minimal_bundle,
                                                       tmp_path):
    # call 2 on the CPU: install without network, then the train step of
    # scripts/gpu_checks.sh with the checkout on PYTHONPATH
    dest = str(tmp_path / 'env')
    r = subprocess.run(
        _no_network_prefix()
        + ['bash', os.path.join(minimal_bundle, 'install.sh'), dest],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, env=_offline_env(), cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout
    env = _offline_env()
    env.update(PYTHONPATH=ROOT, CHAINER_WARN_VERSION_MISMATCH='0',
               PYTHONWARNINGS='ignore::UserWarning:cupy._environment')
    out = tmp_path / 'gc'
    r = subprocess.run(
        _no_network_prefix()
        + ['bash', os.path.join(ROOT, 'scripts', 'gpu_checks.sh'),
           '--python', os.path.join(dest, 'venv', 'bin', 'python'),
           '--gpu', '-1', '--iterations', '3', '--out', str(out), 'train'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-5000:]
    assert (out / 'retrain' / 'model.npz').is_file()
