import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.training.tiny_run import ROOT
from tests.training.tiny_run import TINY


MPIEXEC = os.path.join(os.path.dirname(sys.executable), 'mpiexec')


@pytest.mark.skipif(not os.path.exists(MPIEXEC),
                    reason='mpiexec not installed (pip install mpich)')
def test_search_under_mpiexec_two_ranks(tmp_path):
    out = str(tmp_path / 'mn')
    cmd = [MPIEXEC, '-n', '2', sys.executable,
           os.path.join(ROOT, 'tests', 'training', 'mn_search.py'), out,
           '--communicator', 'naive', '--out', out,
           '--config', os.path.join(ROOT, 'configs', 'demo.yaml')] + TINY \
        + ['train.iterations=4', 'log.snapshot_interval=2']
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout
    with open(os.path.join(out, 'mn_report.json')) as f:
        report = json.load(f)
    assert report['size'] == 2
    assert report['max_param_diff'] == 0.0
    assert report['same_arch']
    files = sorted(os.listdir(out))
    assert files.count('arch.yaml') == 1
    assert 'connection_weights.png' in files and 'log' in files
    # the log was written by one process: one entry per logged iteration
    with open(os.path.join(out, 'log')) as f:
        log = json.load(f)
    assert [e['iteration'] for e in log] == [1, 2, 3, 4]
    assert all(e['val/main/miou'] == e['val/main/miou'] for e in log
               if 'val/main/miou' in e)
    # no stray temporary files
    assert not [f for f in files if f.startswith(('.', 'tmp'))], files
    shutil.rmtree(out)
