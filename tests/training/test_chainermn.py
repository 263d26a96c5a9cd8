import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

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


def _mpiexec(args, timeout):
    # the whole process tree is killed if it outlives ``timeout``
    proc = subprocess.Popen(
        [MPIEXEC, '-n', '2', sys.executable] + args, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, start_new_session=True)
    start = time.time()
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail('mpiexec still running after {} s (a rank hangs): '
                    '{}'.format(timeout, out))
    return proc.returncode, out, time.time() - start


def _voc_with_a_bad_label(root):
    from tests.datasets import layouts
    train = ['t{}'.format(i) for i in range(8)]
    voc = layouts.make_voc(root, train, ['v0'])
    bad = layouts.label_for('vocbad')
    bad[2:4, 2:5] = 40          # not a VOC class, not 255
    path = os.path.join(voc, 'SegmentationClass', 't5.png')
    layouts.write_palette_png(path, bad)
    return voc, path


@pytest.mark.skipif(not os.path.exists(MPIEXEC),
                    reason='mpiexec not installed (pip install mpich)')
def test_bad_label_on_one_rank_ends_the_whole_job(tmp_path):
    # One rank reads the bad label and raises while the other waits for it
    # in the gradient allreduce: on 4d1f859 the job then hung for ever.
    voc, bad = _voc_with_a_bad_label(str(tmp_path / 'VOC2012'))
    out = str(tmp_path / 'mn')
    args = [os.path.join(ROOT, 'train', 'search.py'),
            '--communicator', 'naive', '--out', out,
            '--config', os.path.join(ROOT, 'configs', 'demo.yaml')] + TINY \
        + ['dataset.name=voc', 'dataset.voc_dir=' + voc,
           'dataset.train_split=train', 'train.batchsize=2',
           'train.iterations=8', 'log.eval_interval=100']
    rc, output, seconds = _mpiexec(args, timeout=120)
    assert rc != 0, output
    errors = [line for line in output.splitlines()
              if line.startswith('error: ')]
    assert len(errors) == 1, output
    assert errors[0].startswith('error: (rank ') and bad in errors[0]
    assert 'outside [0, 21)' in errors[0]
    assert 'Traceback' not in output


@pytest.mark.skipif(not os.path.exists(MPIEXEC),
                    reason='mpiexec not installed (pip install mpich)')
def test_disk_full_on_rank_0_ends_the_whole_job(tmp_path):
    from sparsemask.training.snapshots import check_snapshot
    from sparsemask.training.snapshots import list_snapshots
    out = str(tmp_path / 'mn')
    args = [os.path.join(ROOT, 'tests', 'training', 'mn_fail.py'), 'enospc',
            '--communicator', 'naive', '--out', out,
            '--config', os.path.join(ROOT, 'configs', 'demo.yaml')] + TINY
    rc, output, seconds = _mpiexec(args, timeout=120)
    assert rc != 0, output
    errors = [line for line in output.splitlines()
              if line.startswith('error: ')]
    assert len(errors) == 1, output
    assert errors[0].startswith('error: (rank 0 of 2) ')
    assert 'snapshot_iter_4' in errors[0]
    assert 'No space left on device' in errors[0]
    snapshots = list_snapshots(out)
    assert snapshots[-1][0] == 3
    for _, path in snapshots:
        check_snapshot(path)
    assert not os.path.exists(os.path.join(out, 'model.npz'))


@pytest.mark.skipif(not os.path.exists(MPIEXEC),
                    reason='mpiexec not installed (pip install mpich)')
@pytest.mark.parametrize('script', ['train/search.py', 'eval/evaluate.py'])
def test_mpiexec_without_communicator_is_refused(tmp_path, script):
    # two independent copies would print every line twice and write into
    # the same --out: both end before they write anything, one line said
    out = str(tmp_path / 'mn')
    if script == 'train/search.py':
        args = ['--out', out, '--config',
                os.path.join(ROOT, 'configs', 'demo.yaml')] + TINY
    else:
        args = [str(tmp_path), '--json', out]
    rc, output, seconds = _mpiexec([os.path.join(ROOT, script)] + args,
                                   timeout=120)
    assert rc != 0, output
    lines = output.splitlines()
    assert len(lines) == 1, output
    # PMI_SIZE=2 with MPICH's mpiexec
    assert re.match(r'error: started by an MPI launcher with 2 processes '
                    r'\(\w+=2\) but without --communicator: add '
                    r'--communicator naive \(or pure_nccl on GPUs\), or run '
                    r'one process$', lines[0]), output
    assert not os.path.exists(out)
