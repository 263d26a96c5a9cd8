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
