import os
import tempfile


def atomic_write_text(path, text):
    """Writes ``text`` to ``path`` so that a reader sees the old file or
    the whole new one, never a truncated one.

    The text goes to a temporary file in the same directory, which is
    flushed, synced and renamed over ``path``.

    Args:
        path (str): the destination file.
        text (str): the contents.

    """
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.',
                               suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
