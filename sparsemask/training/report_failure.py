import errno
import gc
import os
import sys
import traceback

from sparsemask.cuda import GPUUnavailableError
from sparsemask.extensions import NonFiniteLossError
from sparsemask.training.config import ConfigError
from sparsemask.utils.one_line import one_line


#: Exceptions that are the user's to fix (a config key, a file, the data,
#: the disk, a divergence, a GPU CuPy cannot use): reported as one
#: ``error:`` line. Anything else is a bug and is reported with its
#: traceback.
USER_ERRORS = (ConfigError, NonFiniteLossError, OSError, ValueError,
               GPUUnavailableError)

#: Set to a non-empty value to get tracebacks for every error (as --debug).
DEBUG_ENV = 'SPARSEMASK_DEBUG'

_OS_HINTS = {
    errno.ENOSPC: 'the disk is full; files written before are intact',
    errno.EDQUOT: 'the disk quota is exceeded; files written before are '
                  'intact',
    errno.EROFS: 'the file system is read-only',
    errno.EACCES: 'no permission',
}


def error_message(error):
    """The one-line message of a user error.

    Args:
        error (BaseException): the exception.

    Returns:
        str: its message on one line; an :class:`OSError` from the system
        reads ``<file>: <reason> (<hint>)``.

    """
    if isinstance(error, OSError) and error.strerror and error.errno:
        where = error.filename
        if error.filename2:
            where = '{} -> {}'.format(where, error.filename2)
        text = error.strerror if where is None else '{}: {}'.format(
            where, error.strerror)
        hint = _OS_HINTS.get(error.errno)
        if hint is not None and hint not in text:
            text += ' ({})'.format(hint)
    else:
        text = str(error) or type(error).__name__
    return one_line(text)


def debug_requested(flag=False):
    """Whether tracebacks are wanted: ``--debug`` or ``SPARSEMASK_DEBUG``.

    Args:
        flag (bool): the ``--debug`` option.

    Returns:
        bool

    """
    return bool(flag) or bool(os.environ.get(DEBUG_ENV))


def report_failure(error, debug=False, comm=None, stream=None):
    """Reports an exception that ends a script and returns its exit status.

    A user error (:data:`USER_ERRORS`) is one line ``error: <message>``; a
    traceback comes first only with ``debug``. Any other exception is a bug
    and is printed with its traceback. Under ChainerMN with more than one
    process the whole job is then ended with ``MPI_Abort``: the other
    processes may be waiting for this one in a collective operation and
    would otherwise wait forever.

    Args:
        error (BaseException): the exception.
        debug (bool): print the traceback of user errors too.
        comm: the ChainerMN communicator, or None.
        stream (file): where to print; ``sys.stderr`` by default.

    Returns:
        int: the exit status (1; 130 after Ctrl-C). Does not return under
        ChainerMN with more than one process.

    """
    stream = sys.stderr if stream is None else stream
    status = 130 if isinstance(error, KeyboardInterrupt) else 1
    multi = comm is not None and comm.size > 1
    where = '(rank {} of {}) '.format(comm.rank, comm.size) if multi else ''
    if isinstance(error, KeyboardInterrupt):
        stream.write('error: {}interrupted\n'.format(where))
    elif isinstance(error, USER_ERRORS):
        if debug:
            traceback.print_exception(type(error), error,
                                      error.__traceback__, file=stream)
        stream.write('error: {}{}\n'.format(where, error_message(error)))
    else:
        traceback.print_exception(type(error), error, error.__traceback__,
                                  file=stream)
        stream.write('error: {}unexpected {}: {} (a bug: please report it '
                     'with the traceback above)\n'.format(
                         where, type(error).__name__, error_message(error)))
    stream.flush()
    _release(error)
    if multi:
        sys.stdout.flush()
        comm.mpi_comm.Abort(status)
    return status


def _release(error):
    # Objects left in the failed frames complain from their __del__ at exit
    # (after ENOSPC, numpy's half-written zip file prints "Exception ignored
    # ... seek of closed file" with a traceback): drop them now, quietly.
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        seen = set()
        while error is not None and id(error) not in seen:
            seen.add(id(error))
            if error.__traceback__ is not None:
                traceback.clear_frames(error.__traceback__)
            error = error.__cause__ or error.__context__
        gc.collect()
    finally:
        sys.unraisablehook = hook
