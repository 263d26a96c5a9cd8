"""Every script answers --help (issue 23: thin front-ends that still
work)."""

import glob
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPTS = sorted(
    os.path.relpath(p, ROOT) for pattern in ('train/*.py', 'eval/*.py',
                                             'scripts/*.py')
    for p in glob.glob(os.path.join(ROOT, pattern)))


def test_the_scripts_are_found():
    assert {'train/search.py', 'train/retrain.py', 'train/prune.py',
            'train/demo.py', 'eval/evaluate.py', 'eval/table1.py',
            'eval/bench_model.py', 'eval/export_onnx.py'} <= set(SCRIPTS)


@pytest.mark.parametrize('script', SCRIPTS)
def test_help(script):
    r = subprocess.run([sys.executable, os.path.join(ROOT, script), '--help'],
                       cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    assert r.returncode == 0, r.stdout
    assert r.stdout.startswith('usage: '), r.stdout
    assert 'Traceback' not in r.stdout
