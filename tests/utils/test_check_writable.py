import errno
import os

import pytest

from sparsemask.training.report_failure import error_message
from sparsemask.utils import check_writable


def _error(path):
    with pytest.raises(OSError) as info:
        check_writable(path)
    return info.value


def test_a_writable_path_passes_and_leaves_nothing(tmp_path):
    check_writable(str(tmp_path / 'new.json'))
    (tmp_path / 'old.json').write_text('old')
    check_writable(str(tmp_path / 'old.json'))
    assert os.listdir(str(tmp_path)) == ['old.json']
    assert (tmp_path / 'old.json').read_text() == 'old'


def test_a_relative_path_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    check_writable('r.json')
    assert os.listdir(str(tmp_path)) == []


def test_missing_directory(tmp_path):
    path = str(tmp_path / 'nowhere' / 'deeper' / 'r.json')
    e = _error(path)
    assert e.errno == errno.ENOENT and e.filename == path
    assert error_message(e) == (
        '{}: cannot be written: the directory {} does not exist'.format(
            path, tmp_path / 'nowhere' / 'deeper'))


def test_an_ancestor_is_a_file(tmp_path, monkeypatch):
    (tmp_path / 'f').write_text('')
    monkeypatch.chdir(str(tmp_path))
    for path in ('f/r.json', 'f/sub/r.json'):
        e = _error(path)
        assert e.errno == errno.ENOTDIR and e.filename == path
        assert error_message(e) == (
            '{}: cannot be written: f is a file, not a directory'.format(
                path))


def test_the_path_is_a_directory(tmp_path):
    e = _error(str(tmp_path))
    assert e.errno == errno.EISDIR and e.filename == str(tmp_path)
    assert 'is a directory' in error_message(e)


@pytest.mark.skipif(os.geteuid() == 0,
                    reason='root may write into a read-only directory')
def test_a_directory_without_write_permission(tmp_path):
    directory = tmp_path / 'ro'
    directory.mkdir()
    directory.chmod(0o555)
    try:
        path = str(directory / 'r.json')
        e = _error(path)
    finally:
        directory.chmod(0o755)
    assert e.errno == errno.EACCES and e.filename == path
    message = error_message(e)
    assert message.startswith('{}: cannot be written: no file can be '
                              'created in the directory {}'.format(
                                  path, directory))
    assert '.tmp' not in message
    assert os.listdir(str(directory)) == []


def test_a_failed_probe_names_the_path(tmp_path, monkeypatch):
    # what a read-only file system or a full disk do, even for root
    import tempfile

    def refuse(**kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS),
                      os.path.join(kwargs['dir'], '.r.json.x.tmp'))

    monkeypatch.setattr(tempfile, 'mkstemp', refuse)
    path = str(tmp_path / 'r.json')
    e = _error(path)
    assert e.errno == errno.EROFS and e.filename == path
    assert error_message(e) == (
        '{}: cannot be written: no file can be created in the directory '
        '{}: Read-only file system (the file system is read-only)'.format(
            path, tmp_path))
