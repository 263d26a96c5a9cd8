"""Bad input to the trainer scripts: one ``error:`` line naming the key or
file, no traceback, a non-zero exit, and nothing already written lost."""

import errno
import os
import zipfile

import numpy
import pytest
import yaml

from sparsemask.training.snapshots import check_snapshot
from sparsemask.training.snapshots import list_snapshots
from tests.training.tiny_run import command
from tests.training.tiny_run import run


def assert_one_error_line(r, *names):
    assert r.returncode == 1, r.stdout
    assert 'Traceback' not in r.stdout, r.stdout
    errors = [line for line in r.stdout.splitlines()
              if line.startswith('error: ')]
    assert len(errors) == 1, r.stdout
    for name in names:
        assert name in errors[0], errors[0]
    return errors[0]


@pytest.mark.parametrize('override,expected', [
    ('train.iterations=0', 'train.iterations = 0: expected an integer >= 1'),
    ('train.batchsize=-1', 'train.batchsize = -1'),
    ('train.crop_size=0', 'train.crop_size = 0'),
    ('dataset.n_train=0', 'dataset.n_train = 0'),
    ('train.lr_decoder=-0.05', 'train.lr_decoder = -0.05'),
    ('log.snapshot_interval=0', 'log.snapshot_interval = 0'),
    ('train.scale_range=2', 'train.scale_range = 2: expected a list'),
    ('train.scale_range={a: 1, a: 2}', "the value has the key 'a' twice"),
])
def test_bad_value_is_refused_before_anything_is_written(
        tmp_path, override, expected):
    out = str(tmp_path / 'out')
    r = run('search.py', out, override)
    line = assert_one_error_line(r, override, expected)
    assert line.startswith("error: override '{}'".format(override))
    assert not os.path.exists(out)


def test_scientific_notation_trains_prunes_and_is_saved_as_numbers(
        tmp_path):
    # on 4d1f859: weight_decay='1e-4' crashed at iteration 1 and
    # sigma='1e-2' in pruning after the whole search
    out = str(tmp_path / 'out')
    r = run('search.py', out, 'train.iterations=2', 'train.sigma=1e-2',
            'train.weight_decay=1e-4', 'train.lr_decoder=1e-3')
    assert r.returncode == 0, r.stdout
    assert 'connections kept' in r.stdout
    with open(os.path.join(out, 'config.yaml')) as f:
        saved = yaml.safe_load(f)
    assert saved['train']['sigma'] == 0.01
    assert saved['train']['weight_decay'] == 1e-4
    assert saved['train']['lr_decoder'] == 1e-3


def test_out_that_is_a_file(tmp_path):
    out = tmp_path / 'out'
    out.write_text('keep me')
    r = run('search.py', str(out))
    assert_one_error_line(r, str(out), 'exists and is not a directory')
    assert out.read_text() == 'keep me'


def test_out_that_cannot_be_written(tmp_path):
    if os.geteuid() == 0:
        # root writes into a mode-555 directory; /sys refuses even root
        out = '/sys/sparsemask_test_out'
    else:
        parent = tmp_path / 'ro'
        parent.mkdir()
        parent.chmod(0o555)
        out = str(parent / 'out')
    r = run('search.py', out)
    assert_one_error_line(r, out, 'cannot write there')
    assert not os.path.exists(out)


@pytest.mark.parametrize('text,expected', [
    ('n_stages: 9\nstages:\n  D1: [E1, G\n', 'not valid YAML'),
    ('n_stages: 9\nstages:\n  D1: [E0, G]\n', "unknown input name 'E0'"),
    ('n_stages: 9\nstages:\n  D2: [E2, G]\n', 'stage D1 is missing'),
    ('stages:\n  D1: [E1, G]\n', 'missing key n_stages'),
    ('n_stages: 9\nstages:\n  D1: [E1, G]\n  D1: [E1]\n',
     "key 'D1' appears twice (lines 3 and 4)"),
])
def test_broken_arch_file(tmp_path, text, expected):
    arch = tmp_path / 'arch.yaml'
    arch.write_text(text)
    out = str(tmp_path / 'out')
    r = run('retrain.py', out, 'model.arch=' + str(arch))
    line = assert_one_error_line(r, 'model.arch', str(arch), expected)
    assert line.startswith('error: model.arch: ')
    assert not os.path.exists(out)


def test_duplicate_key_in_the_config_file(tmp_path):
    from tests.training.tiny_run import ROOT
    config = tmp_path / 'c.yaml'
    config.write_text('base: {}\ntrain:\n  lr_decoder: 0.01\n'
                      '  lr_decoder: 0.02\n'.format(os.path.join(
                          ROOT, 'configs', 'demo.yaml')))
    out = str(tmp_path / 'out')
    # (the last --config is the one read)
    r = run('retrain.py', out, '--config', str(config))
    line = assert_one_error_line(r)
    assert line == "error: {}: key 'lr_decoder' appears twice (lines 3 " \
        'and 4)'.format(config)
    assert not os.path.exists(out)


def test_debug_prints_the_traceback(tmp_path):
    arch = tmp_path / 'arch.yaml'
    arch.write_text('n_stages: 9\nstages:\n  D1: [E0, G]\n')
    r = run('retrain.py', str(tmp_path / 'out'), 'model.arch=' + str(arch),
            '--debug')
    assert r.returncode == 1
    assert 'Traceback' in r.stdout
    assert r.stdout.strip().splitlines()[-1].startswith('error: model.arch')


def test_disk_full_while_writing_a_snapshot(tmp_path, monkeypatch, capsys):
    # The fourth snapshot hits ENOSPC halfway through the file; the
    # snapshots before it, the log and the config stay whole.
    from sparsemask.training.cli import main
    from tests.training.tiny_run import ROOT

    # snapshots are written by numpy.savez (uncompressed)
    real = numpy.savez

    def savez(file, *args, **kwargs):
        name = getattr(file, 'name', str(file))
        if os.path.basename(str(name)) == 'snapshot_iter_4':
            file.write(b'PK\x03\x04 partial')
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
        return real(file, *args, **kwargs)

    monkeypatch.setattr(numpy, 'savez', savez)
    out = str(tmp_path / 'out')
    argv = command('search.py', out)[2:]
    with pytest.raises(SystemExit) as e:
        main('search', 'test', ROOT, argv)
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith('error: ') and 'snapshot_iter_4' in line
    assert 'No space left on device' in line and 'intact' in line
    snapshots = list_snapshots(out)
    assert snapshots[-1][0] == 3
    for _, path in snapshots:
        check_snapshot(path)
        # written without zlib (9x faster for 7% more bytes)
        with zipfile.ZipFile(path) as z:
            assert {i.compress_type for i in z.infolist()} == {
                zipfile.ZIP_STORED}
    assert not [f for f in os.listdir(out) if f.startswith('tmp')]
    with open(os.path.join(out, 'config.yaml')) as f:
        assert yaml.safe_load(f)['train']['iterations'] == 10
    assert not os.path.exists(os.path.join(out, 'model.npz'))


@pytest.fixture
def small_disk(tmp_path):
    # a 40 MB tmpfs: two 16 MB snapshots fit, the third does not
    import subprocess
    mount = tmp_path / 'disk'
    mount.mkdir()
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=40m', 'tmpfs',
                        str(mount)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    if r.returncode != 0:
        pytest.skip('cannot mount a small tmpfs here: ' + r.stdout.strip())
    try:
        yield str(mount)
    finally:
        subprocess.run(['umount', '-l', str(mount)])


def test_a_real_full_disk(small_disk):
    # ENOSPC from the file system itself: the write names no file, and
    # numpy's half-written zip complains at exit unless released
    out = os.path.join(small_disk, 'run')
    r = run('search.py', out, 'train.iterations=40', 'log.n_snapshots=3',
            'log.eval_interval=100')
    line = assert_one_error_line(r, out, 'No space left on device',
                                 'files written before are intact')
    assert 'Exception ignored' not in r.stdout
    snapshots = list_snapshots(out)
    assert len(snapshots) >= 1
    for _, path in snapshots:
        check_snapshot(path)
    assert line.startswith('error: ' + out)


def test_options_may_follow_the_overrides():
    # `search.py train.x=1 --resume train.y=2` was "unrecognized arguments"
    from sparsemask.training.arguments import make_parser
    import subprocess
    import sys
    from tests.training.tiny_run import ROOT
    args = make_parser('test').parse_intermixed_args(
        ['train.lam=1', '--resume', 'train.seed=2', '--out', 'o',
         'log.n_snapshots=1', '--communicator', 'naive'])
    assert args.overrides == ['train.lam=1', 'train.seed=2',
                              'log.n_snapshots=1']
    assert args.resume and args.out == 'o' and args.communicator == 'naive'
    r = subprocess.run([sys.executable, 'train/search.py', 'train.lam=-1',
                        '--out', '/nonexistent/x', '--debug'], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    assert r.returncode == 1
    assert 'train.lam = -1' in r.stdout.strip().splitlines()[-1]
