"""``--gpu`` and ``-m gpu`` turn a missing CuPy into a failure (CPU test).

Runs one small GPU test of ``tests/functions/test_fdn_stage_gpu.py`` in a
pytest subprocess: asked for (``-m gpu --gpu``) it must fail and say why;
not asked for, it must be skipped. Where CuPy runs on a CUDA device the
failure cannot be shown and the test is skipped.
"""

import os
import re
import subprocess
import sys

import pytest

from tests.gpu_util import gpu_requested
from tests.gpu_util import probe_cupy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GPU_TEST = os.path.join('tests', 'functions', 'test_fdn_stage_gpu.py')
# the smallest stage of the file: batch 3, one 6x6 input, no BN
ONE_TEST = 'test_cupy_path_matches_numpy_path[False-False-2]'


def _pytest(*args):
    return subprocess.run(
        [sys.executable, '-m', 'pytest', GPU_TEST, '-q', '-p',
         'no:cacheprovider', '-k', ONE_TEST] + list(args),
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=600)


@pytest.fixture(scope='module')
def no_usable_cupy():
    cupy, error = probe_cupy()
    if error is None:
        pytest.skip('CuPy runs on a CUDA device here: a missing CuPy '
                    'cannot be shown to fail')
    return error


def test_requested_gpu_test_fails_without_cupy(no_usable_cupy):
    r = _pytest('-m', 'gpu', '--gpu', '-x', '-rf')
    assert r.returncode != 0, r.stdout
    assert '1 failed' in r.stdout, r.stdout
    assert 'CuPy with a CUDA device is not usable' in r.stdout, r.stdout
    assert type(no_usable_cupy).__name__ in r.stdout, r.stdout
    assert 'cuda13' in r.stdout, r.stdout  # how to install CuPy


@pytest.mark.parametrize('args', [['-m', 'gpu'], ['--gpu']],
                         ids=['marker', 'option'])
def test_either_request_alone_fails_without_cupy(no_usable_cupy, args):
    r = _pytest(*args)
    assert r.returncode != 0, r.stdout
    assert '1 failed' in r.stdout, r.stdout


def test_unrequested_gpu_test_skips_without_cupy(no_usable_cupy):
    r = _pytest('-rs')
    assert r.returncode == 0, r.stdout
    assert '1 skipped' in r.stdout, r.stdout
    assert not re.search(r'\d+ failed', r.stdout), r.stdout
    assert 'CuPy with a CUDA device is needed' in r.stdout, r.stdout


class _Config(object):

    def __init__(self, gpu, markexpr):
        self.options = {'gpu': gpu, 'markexpr': markexpr}

    def getoption(self, name, default=None):
        return self.options.get(name, default)


@pytest.mark.parametrize('gpu, markexpr, requested', [
    (False, '', False),
    (True, '', True),
    (False, 'gpu', True),
    (False, 'gpu and not slow', True),
    (False, '(gpu)', True),
    (False, 'not gpu', False),
    (False, 'not gpu and not slow', False),
    (False, 'not  gpu', False),
    (False, 'slow', False),
    (False, 'gpus', False),
    (True, 'not gpu', True),
])
def test_gpu_requested(gpu, markexpr, requested):
    assert gpu_requested(_Config(gpu, markexpr)) == requested
