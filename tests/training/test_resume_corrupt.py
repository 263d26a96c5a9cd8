"""--resume after a crash that left damaged snapshots: the newest snapshot
that loads, chosen by iteration number, never by modification time."""

import os
import shutil

import numpy
import pytest

from tests.training.tiny_run import run


def load(path):
    with numpy.load(path) as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope='module')
def finished(tmp_path_factory):
    # an uninterrupted run of 6 iterations keeping its last 3 snapshots
    out = str(tmp_path_factory.mktemp('resume') / 'full')
    r = run('search.py', out, 'train.iterations=6', 'log.n_snapshots=3')
    assert r.returncode == 0, r.stdout
    return out


def _copy_run(src, dst, snapshots):
    os.makedirs(dst)
    shutil.copy(os.path.join(src, 'config.yaml'), dst)
    for i in snapshots:
        name = 'snapshot_iter_{}'.format(i)
        shutil.copy(os.path.join(src, name), dst)
    return dst


def test_resume_skips_damaged_snapshots_by_iteration(finished, tmp_path):
    out = _copy_run(finished, str(tmp_path / 'crashed'), (4, 5, 6))
    newest = os.path.join(out, 'snapshot_iter_6')
    with open(newest, 'rb') as f:
        data = f.read()
    with open(newest, 'wb') as f:   # truncated: the zip has no directory
        f.write(data[:len(data) // 2])
    # the older snapshot 4 has the newest modification time: a choice by
    # mtime (Chainer's autoload) would take it
    t = os.path.getmtime(os.path.join(out, 'snapshot_iter_5'))
    os.utime(os.path.join(out, 'snapshot_iter_5'), (t - 100, t - 100))
    os.utime(os.path.join(out, 'snapshot_iter_4'), (t + 100, t + 100))

    r = run('search.py', out, 'train.iterations=6', 'log.n_snapshots=3',
            '--resume')
    assert r.returncode == 0, r.stdout
    assert 'Traceback' not in r.stdout
    notes = [line for line in r.stdout.splitlines()
             if line.startswith('note: --resume: skipped snapshot_iter_6')]
    assert len(notes) == 1 and 'cannot be read' in notes[0], r.stdout
    assert 'resumed from {} (iteration 5)'.format(
        os.path.join(out, 'snapshot_iter_5')) in r.stdout
    # the damaged file is kept, byte for byte, out of the way
    with open(os.path.join(out, 'corrupt', 'snapshot_iter_6'), 'rb') as f:
        assert f.read() == data[:len(data) // 2]
    # and the run ends where the uninterrupted one did
    a = load(os.path.join(finished, 'model.npz'))
    b = load(os.path.join(out, 'model.npz'))
    assert max(float(numpy.abs(a[k] - b[k]).max()) for k in a) <= 1e-6


def test_resume_with_only_damaged_snapshots_says_so(finished, tmp_path):
    out = _copy_run(finished, str(tmp_path / 'crashed'), (5, 6))
    open(os.path.join(out, 'snapshot_iter_6'), 'wb').close()   # 0 bytes
    with open(os.path.join(out, 'snapshot_iter_5'), 'r+b') as f:
        f.seek(200)
        f.write(b'\xff' * 64)     # damaged inside a member: bad CRC / data
    r = run('search.py', out, 'train.iterations=6', '--resume')
    assert r.returncode == 1, r.stdout
    assert 'Traceback' not in r.stdout
    assert 'snapshot_iter_6: ' in r.stdout and 'is empty (0 bytes)' in \
        r.stdout
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith('error: --resume: none of the snapshots in ')
    assert 'snapshot_iter_6, snapshot_iter_5' in last
    assert sorted(os.listdir(os.path.join(out, 'corrupt'))) == [
        'snapshot_iter_5', 'snapshot_iter_6']


def test_resume_with_nothing_to_resume(tmp_path):
    out = str(tmp_path / 'never_ran')
    r = run('search.py', out, '--resume')
    assert r.returncode == 1
    assert 'Traceback' not in r.stdout
    last = r.stdout.strip().splitlines()[-1]
    assert last == ('error: --resume: {} holds no run to resume (no '
                    'config.yaml, no snapshot_iter_N); run without --resume '
                    'to start one'.format(out))
    assert not os.path.exists(out)


def test_resume_before_the_first_snapshot_starts_over(finished, tmp_path):
    out = _copy_run(finished, str(tmp_path / 'early'), ())
    r = run('search.py', out, 'train.iterations=6', 'log.n_snapshots=3',
            '--resume')
    assert r.returncode == 0, r.stdout
    assert 'holds no snapshot yet' in r.stdout
    a = load(os.path.join(finished, 'model.npz'))
    b = load(os.path.join(out, 'model.npz'))
    assert max(float(numpy.abs(a[k] - b[k]).max()) for k in a) <= 1e-6
