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

    Raises:
        OSError: if the file cannot be created, written or renamed; an
            error of the temporary file names ``path`` as given.

    """
    if mode not in ('w', 'wb'):
        raise ValueError("mode must be 'w' or 'wb', not {!r}".format(mode))
    given = path
    path = os.path.abspath(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.',
                                   suffix='.tmp',
                                   dir=os.path.dirname(path))
    except OSError as e:
        _name_the_destination(e, given, e.filename)
        raise
    try:
        # mkstemp makes the file private (0600); give it the permissions
        # of a file opened with open(): 0666 less the umask
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, OSError):
            _name_the_destination(e, given, tmp)
        raise


def _name_the_destination(error, given, tmp):
    # An error of the temporary file (creating, writing, syncing or renaming
    # it: a system error naming the temporary file or no file) names the
    # destination as the caller gave it, not the hidden temporary file; an
    # error that names another file (one read in the block) is left alone.
    if error.errno is None or not error.strerror:
        return
    if error.filename in (None, tmp) and error.filename2 in (
            None, tmp, os.path.abspath(given)):
        error.filename = given
        error.filename2 = None


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
