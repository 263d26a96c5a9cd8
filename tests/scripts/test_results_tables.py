"""docs/results.md is generated from eval/results/ and must be current."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'scripts', 'results_tables.py')


def run(*args):
    return subprocess.run([sys.executable, SCRIPT] + list(args), cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)


def test_the_committed_page_is_what_the_json_gives():
    r = run('--check')
    assert r.returncode == 0, r.stdout
    with open(os.path.join(ROOT, 'docs', 'results.md')) as f:
        page = f.read()
    # a few numbers of the JSON files appear as they are
    assert '2.22+0.56M' in page and '2.22+1.93M' in page
    assert '| SparseMask |' in page


def test_a_stale_page_is_refused(tmp_path):
    out = str(tmp_path / 'results.md')
    with open(out, 'w') as f:
        f.write('# typed by hand\n')
    r = run('--check', '--out', out)
    assert r.returncode == 1
    assert 'is stale' in r.stdout
    r = run('--out', out)
    assert r.returncode == 0, r.stdout
    assert run('--check', '--out', out).returncode == 0
