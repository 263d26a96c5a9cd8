import os
import random
import signal
import subprocess
import time

import numpy

from tests.training.tiny_run import command
from tests.training.tiny_run import ROOT
from tests.training.tiny_run import run


def load(path):
    with numpy.load(path) as f:
        return {k: f[k] for k in f.files}


# The tiny search's encoder rate (0.05, the demo's) on a randomly
# initialised encoder is at the edge of stability: whether it overflows
# within 10 iterations depends on rounding (seen: with PIL's resizing in the
# transform and not with OpenCV's). A resume test needs a run that ends.
STABLE = ['train.lr_encoder=0.01']


def test_search_killed_and_resumed_equals_uninterrupted(tmp_path):
    full = str(tmp_path / 'full')
    r = run('search.py', full, *STABLE)
    assert r.returncode == 0, r.stdout

    # SIGKILL a second run once it has written a snapshot at a random
    # iteration (it may have gone on a little further when the signal lands)
    killed = str(tmp_path / 'killed')
    k = random.randint(2, 8)
    proc = subprocess.Popen(command('search.py', killed, *STABLE), cwd=ROOT,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    target = os.path.join(killed, 'snapshot_iter_{}'.format(k))
    deadline = time.time() + 120
    while not os.path.exists(target) and proc.poll() is None \
            and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, 'finished before the kill'
    assert not os.path.exists(os.path.join(killed, 'model.npz'))
    # a kill while a snapshot was being written leaves Chainer's temporary
    # directory with a partial file: it must not break the resume
    junk = os.path.join(killed, 'tmpsnapshot_iter_99xyz')
    os.makedirs(junk, exist_ok=True)
    with open(os.path.join(junk, 'snapshot_iter_99'), 'wb') as f:
        f.write(b'PK\x03\x04truncated')

    # without --resume the run refuses to overwrite the killed one
    r = run('search.py', killed, *STABLE)
    assert r.returncode != 0 and '--resume' in r.stdout, r.stdout

    r = run('search.py', killed, '--resume', *STABLE)
    assert r.returncode == 0, r.stdout
    a = load(os.path.join(full, 'model.npz'))
    b = load(os.path.join(killed, 'model.npz'))
    assert a.keys() == b.keys()
    worst = max(float(numpy.abs(a[key] - b[key]).max()) for key in a)
    assert worst <= 1e-6, 'killed at iteration >= {}: max diff {}'.format(
        k, worst)
    # the run really trained: weights moved from their start
    assert any(not numpy.array_equal(a[key], numpy.zeros_like(a[key]))
               for key in a)
    with open(os.path.join(full, 'arch.yaml')) as f1, \
            open(os.path.join(killed, 'arch.yaml')) as f2:
        assert f1.read() == f2.read()
    assert not os.path.exists(junk)


def test_resume_checks_the_config(tmp_path):
    out = str(tmp_path / 'run')
    r = run('search.py', out, 'train.iterations=2')
    assert r.returncode == 0, r.stdout
    # resuming a finished run prunes it again and stops
    r = run('search.py', out, 'train.iterations=2', '--resume')
    assert r.returncode == 0, r.stdout
    assert 'connections kept' in r.stdout
    # the model must stay; the schedule may change (e.g. a smaller lr
    # after a divergence), with a note
    r = run('search.py', out, 'train.iterations=2', 'model.channels=8',
            '--resume')
    assert r.returncode != 0
    assert 'model.channels: 16 -> 8' in r.stdout, r.stdout
    r = run('search.py', out, 'train.iterations=3', 'train.lam=0.25',
            '--resume')
    assert r.returncode == 0, r.stdout
    assert 'train.lam changed from 0.08 to 0.25' in r.stdout, r.stdout
