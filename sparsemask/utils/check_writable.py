import errno
import os
import tempfile


def check_writable(path):
    """Checks, before a long computation, that a file can be written there.

    ``path`` is meant for :func:`~sparsemask.utils.atomic_write.atomic_open`
    (or another write through a temporary file renamed over it): it must
    not be a directory, and its directory must exist and let a new file be
    created, which is tried (an empty hidden file, removed at once). This
    finds what a permission check alone would miss: a read-only file
    system, access control lists, a process running as root.

    Args:
        path (str): the file to be written, as the user gave it.

    Raises:
        OSError: if it cannot be written; its ``filename`` is ``path`` as
            given (not a temporary file), and its ``strerror`` says why,
            e.g. ``cannot be written: the directory out does not exist``.

    """
    absolute = os.path.abspath(path)
    directory = os.path.dirname(absolute)
    # the directory as the user would name it
    shown = os.path.dirname(path) or directory
    if os.path.isdir(absolute):
        raise OSError(errno.EISDIR, 'cannot be written: it is a directory; '
                      'give a file name', path)
    if not os.path.isdir(directory):
        blocker = _first_missing_or_file(directory)
        if os.path.exists(blocker):
            raise OSError(errno.ENOTDIR, 'cannot be written: {} is a file, '
                          'not a directory'.format(_relative_to(
                              blocker, directory, shown)), path)
        raise OSError(errno.ENOENT, 'cannot be written: the directory {} '
                      'does not exist'.format(shown), path)
    try:
        fd, probe = tempfile.mkstemp(
            prefix='.' + os.path.basename(absolute) + '.',
            suffix='.tmp', dir=directory)
    except OSError as e:
        raise OSError(e.errno, 'cannot be written: no file can be created '
                      'in the directory {}: {}'.format(
                          shown, e.strerror or e), path) from None
    os.close(fd)
    os.remove(probe)


def _first_missing_or_file(directory):
    # the first ancestor of ``directory`` that is not a directory
    parts = []
    head = directory
    while not os.path.isdir(head):
        parts.append(head)
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
    return parts[-1] if parts else directory


def _relative_to(blocker, directory, shown):
    # ``blocker`` (an ancestor of the absolute ``directory``) named as the
    # user named ``directory`` (``shown``) when that is possible
    if shown == directory:
        return blocker
    tail = os.path.relpath(directory, blocker)
    parts = [] if tail == os.curdir else tail.split(os.sep)
    named = os.path.normpath(shown)
    for _ in parts:
        named = os.path.dirname(named)
    return named or blocker
