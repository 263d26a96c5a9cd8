import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_open(path, mode='wb'):
    """Opens a temporary file that replaces ``path`` when the block ends.

    The data goes to a temporary file in the same directory, which is
    flushed, synced and renamed over ``path``, so that a reader (or a run
    resumed after a kill) sees the old file or the whole new one, never a
    truncated one. If the block raises, ``path`` is left untouched and the
    temporary file is removed.

    Args:
        path (str): the destination file.
        mode (str): ``'wb'`` or ``'w'``.

    Yields:
        file: the open temporary file.

    """
    if mode not in ('w', 'wb'):
        raise ValueError("mode must be 'w' or 'wb', not {!r}".format(mode))
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.',
                               suffix='.tmp', dir=directory)
    try:
        # mkstemp makes the file private (0600); give it the permissions
        # of a file opened with open(): 0666 less the umask
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path, text):
    """Writes ``text`` to ``path`` atomically (see :func:`atomic_open`).

    Args:
        path (str): the destination file.
        text (str): the contents.

    """
    with atomic_open(path, 'w') as f:
        f.write(text)
