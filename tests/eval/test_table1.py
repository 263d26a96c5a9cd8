"""``eval/table1.py``'s command line, run as a script; the protocol itself
is tested in ``tests/experiments/test_table1.py``."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'eval', 'table1.py')

#: a quick table of one row, no search
ARGS = ['--quick', '--jobs', '1', '--rows', 'unet', '--stability']


def _run(*args):
    return subprocess.run([sys.executable, SCRIPT] + list(args), cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)


def _read_json(path):
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def table(tmp_path_factory):
    """The quick table of one row, written by the script."""
    out = str(tmp_path_factory.mktemp('table1') / 'out')
    r = _run(*(ARGS[:-3] + ['--out', out] + ARGS[-3:]))
    assert r.returncode == 0, r.stdout
    return {'out': out, 'stdout': r.stdout,
            'json': _read_json(os.path.join(out, 'table1.json'))}


def test_help():
    r = _run('--help')
    assert r.returncode == 0, r.stdout
    assert 'The paper\'s Table 1 (Sec. 4.2)' in r.stdout
    for option in ('--rows', '--seeds', '--search-seeds', '--stability',
                   '--stability-seeds', '--lr-grid', '--holdout',
                   '--level-window', '--level-threshold', '--bench-size',
                   '--bench-batch', '--bench-repeat', '--gpu', '--jobs',
                   '--plots', '--quick', '--debug', 'section.key=value'):
        assert option in r.stdout


def test_a_bad_option_is_one_error_line(tmp_path):
    out = tmp_path / 'out'
    r = _run('--quick', '--seeds', '1', '5', '6', '--out', str(out))
    assert r.returncode == 1
    assert 'share 1' in r.stdout and 'Traceback' not in r.stdout
    assert not out.exists()


def test_the_script_writes_the_table(table):
    out = table['out']
    result = table['json']
    assert [row['key'] for row in result['rows']] == ['unet']
    assert result['command'] == ' '.join(
        [os.path.join('eval', 'table1.py')] + ARGS[:-3] + ['--out', out] +
        ARGS[-3:])
    assert result['protocol']['jobs'] == 1
    assert result['timing']['ran'] == result['timing']['trainings'] == 5
    with open(os.path.join(out, 'table1.md')) as f:
        md = f.read()
    # the config relative to the repository, the --quick overrides after it
    assert md.startswith('# Table 1: decoders on one protocol\n\nconfig: '
                         '`configs/table1_benchmark.yaml` + dataset.name='
                         'synthetic ')
    assert md in table['stdout']
    assert table['stdout'].rstrip().endswith('wrote {} and {}'.format(
        os.path.join(out, 'table1.md'), os.path.join(out, 'table1.json')))


def test_rerun_reuses_finished_trainings(table):
    out = table['out']
    models = {}
    for t in table['json']['trainings']:
        path = os.path.join(out, t['dir'], 'model.npz')
        models[path] = os.stat(path).st_mtime_ns
    r = _run(*(ARGS + ['--out', out]))
    assert r.returncode == 0, r.stdout
    assert ' ...' not in r.stdout      # no training started
    again = _read_json(os.path.join(out, 'table1.json'))
    assert again['timing']['ran'] == 0
    assert again['timing']['trainings'] == table['json']['timing'][
        'trainings']
    for path, mtime in models.items():
        assert os.stat(path).st_mtime_ns == mtime
    for a, b in zip(again['rows'], table['json']['rows']):
        assert a['miou_mean'] == b['miou_mean']
        assert a['tuned_lr'] == b['tuned_lr']


def test_a_directory_of_another_configuration_is_an_error(table):
    r = _run('train.iterations=5', '--quick', '--out', table['out'],
             '--rows', 'unet')
    assert r.returncode == 1
    assert 'another configuration' in r.stdout
    assert 'train.iterations: 4 -> 5' in r.stdout
