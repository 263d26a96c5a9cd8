import errno
import os
import stat

import pytest

from sparsemask.utils.atomic_write import atomic_open
from sparsemask.utils.atomic_write import atomic_write_text


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize('umask', [0o022, 0o077, 0o002])
def test_a_written_file_has_the_permissions_open_would_give(tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write_text(str(tmp_path / 'a.txt'), 'x')
        with open(str(tmp_path / 'b.txt'), 'w') as f:
            f.write('x')
    finally:
        os.umask(old)
    assert _mode(str(tmp_path / 'a.txt')) == _mode(str(tmp_path / 'b.txt'))
    assert _mode(str(tmp_path / 'a.txt')) == 0o666 & ~umask


def test_the_whole_file_or_the_old_one(tmp_path):
    path = str(tmp_path / 'f.bin')
    atomic_write_text(path, 'old')
    with pytest.raises(RuntimeError):
        with atomic_open(path, 'wb') as f:
            f.write(b'half')
            raise RuntimeError('killed')
    with open(path) as f:
        assert f.read() == 'old'
    assert os.listdir(str(tmp_path)) == ['f.bin']


@pytest.mark.parametrize('layout', ['missing_directory', 'parent_is_a_file',
                                    'path_is_a_directory'])
def test_errors_name_the_destination_not_the_temporary_file(tmp_path,
                                                            layout):
    if layout == 'missing_directory':
        path = str(tmp_path / 'nowhere' / 'r.json')
    elif layout == 'parent_is_a_file':
        (tmp_path / 'f').write_text('')
        path = str(tmp_path / 'f' / 'r.json')
    else:
        (tmp_path / 'd').mkdir()
        path = str(tmp_path / 'd')
    with pytest.raises(OSError) as info:
        atomic_write_text(path, 'x')
    assert info.value.filename == path
    assert info.value.filename2 is None
    assert '.tmp' not in str(info.value)
    assert not [f for f in os.listdir(str(tmp_path)) if f.endswith('.tmp')]


def test_a_relative_destination_is_named_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    with pytest.raises(OSError) as info:
        atomic_write_text(os.path.join('nowhere', 'r.json'), 'x')
    assert info.value.filename == os.path.join('nowhere', 'r.json')


def test_a_write_error_names_the_destination(tmp_path):
    # e.g. ENOSPC from f.write, which names no file
    path = str(tmp_path / 'r.bin')
    with pytest.raises(OSError) as info:
        with atomic_open(path, 'wb') as f:
            f.write(b'half')
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert info.value.errno == errno.ENOSPC
    assert info.value.filename == path
    assert os.listdir(str(tmp_path)) == []


def test_an_error_of_another_file_is_left_alone(tmp_path):
    path = str(tmp_path / 'r.bin')
    other = str(tmp_path / 'missing.txt')
    with pytest.raises(OSError) as info:
        with atomic_open(path, 'wb'):
            open(other)
    assert info.value.filename == other
    assert os.listdir(str(tmp_path)) == []
