import json
import os
import subprocess
import sys

import numpy

from sparsemask.extensions import load_connection_weights
from tests.training.tiny_run import ROOT
from tests.training.tiny_run import TINY

SCRIPT = os.path.join(ROOT, 'eval', 'search_weights.py')


def test_search_weights_table(tmp_path):
    out = str(tmp_path / 'sw')
    tiny = ','.join(t for t in TINY if ',' not in t)
    cmd = [sys.executable, SCRIPT, '--out', out, '--jobs', '2', '--runs',
           'base=' + tiny + ',train.iterations=5',
           'lam1=' + tiny + ',train.iterations=5,train.lam=1.0']
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    assert r.returncode == 0, r.stdout
    with open(os.path.join(out, 'search_weights.json')) as f:
        rows = json.load(f)['rows']
    assert [row['name'] for row in rows] == ['base', 'lam1']
    for row in rows:
        # the counts are those of the search's weights file, recounted here
        w = numpy.array([v for stage in load_connection_weights(
            os.path.join(out, row['name'], 'connection_weights.npz')).values()
            for v in stage.values()])
        assert row['n'] == w.size == 90
        assert row['zero'] == int((w == 0).sum())
        assert row['middle'] == int(((w >= 0.05) & (w < 0.95)).sum())
        assert row['high'] == int((w >= 0.95).sum())
        kept = w[w >= row['sigma']]
        assert row['smallest_kept'] == (float(kept.min()) if kept.size
                                        else None)
        assert '| {} |'.format(row['name']) in r.stdout
    # run again: nothing is searched again
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    assert r.returncode == 0 and 'running' not in r.stdout


def test_help():
    r = subprocess.run([sys.executable, SCRIPT, '--help'], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    assert r.returncode == 0, r.stdout
    assert 'How near to binary the connection weights' in r.stdout
    for option in ('--config', '--out', '--runs', '--jobs'):
        assert option in r.stdout


def test_a_bad_run_is_one_error_line(tmp_path):
    r = subprocess.run([sys.executable, SCRIPT, '--out', str(tmp_path / 'o'),
                        '--runs', 'nameless'], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    assert r.returncode == 1
    assert "--runs 'nameless': expected name=" in r.stdout
    assert 'Traceback' not in r.stdout
