"""Finding the snapshots of a run and choosing the one to resume from."""

import os
import zipfile

import numpy

import chainer

from sparsemask.utils.snapshot_files import list_snapshots
from sparsemask.utils.snapshot_files import move_aside
from sparsemask.utils.one_line import one_line


#: Where unreadable snapshots are moved (never deleted) by a resume.
CORRUPT_DIR = 'corrupt'


class SnapshotError(ValueError):
    """A snapshot cannot be read; the message names it and says why."""


def check_snapshot(path):
    """Reads every array of an ``.npz`` snapshot, checking it is whole.

    Every member is decompressed and its CRC checked, so that a truncated,
    empty or damaged file is found before anything is loaded from it.

    Args:
        path (str): the snapshot.

    Returns:
        dict: every array of the snapshot by key, to deserialize from
        (:func:`load_snapshot`) without reading the file again.

    Raises:
        SnapshotError: naming ``path`` and the reason, on one line.

    """
    try:
        size = os.path.getsize(path)
        if size == 0:
            raise SnapshotError('{} is empty (0 bytes)'.format(path))
        with numpy.load(path, allow_pickle=False) as f:
            return {key: f[key] for key in f.files}
    except SnapshotError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile,
            zipfile.LargeZipFile) as e:
        reason = one_line(e) or type(e).__name__
        raise SnapshotError('{} cannot be read ({}: {})'.format(
            path, type(e).__name__, reason))


def load_snapshot(path, target, arrays=None, prefix=''):
    """Loads a snapshot checked by :func:`check_snapshot` into ``target``.

    Args:
        path (str): the snapshot.
        target: what to deserialize into (a trainer, a link).
        arrays (dict): what :func:`check_snapshot` returned for ``path``;
            read (and checked) now if None.
        prefix (str): the path inside the snapshot to load from, e.g.
            ``'updater/model:main/predictor/'``.

    Raises:
        SnapshotError: if the file cannot be read.

    """
    if arrays is None:
        arrays = check_snapshot(path)
    chainer.serializers.NpzDeserializer(arrays, path=prefix).load(target)


def choose_snapshot(directory, log=None):
    """The newest snapshot of a run that can be read, for ``--resume``.

    Snapshots are tried newest first (by iteration). One that cannot be
    read is moved into ``<directory>/corrupt/`` (never deleted, and out of
    the way of the snapshot the resumed run will write under the same
    name), with a note saying which and why.

    Args:
        directory (str): the run's output directory.
        log (file): where the notes go (None: nowhere).

    Returns:
        tuple: ``(iteration, path)`` of the snapshot to load, or ``None``
        if the directory holds no snapshot.

    Raises:
        SnapshotError: if there are snapshots but none can be read.

    """
    snapshots = list_snapshots(directory)
    skipped = []
    for iteration, path in reversed(snapshots):
        try:
            check_snapshot(path)
        except SnapshotError as e:
            moved = move_aside(path, os.path.join(directory, CORRUPT_DIR))
            skipped.append(os.path.basename(path))
            if log is not None:
                log.write('note: --resume: skipped {}: {}; moved it to '
                          '{}\n'.format(os.path.basename(path), e, moved))
            continue
        return iteration, path
    if skipped:
        raise SnapshotError(
            '--resume: none of the snapshots in {} can be read ({}); they '
            'were moved to {}. Run without --resume to start over'.format(
                directory, ', '.join(skipped),
                os.path.join(directory, CORRUPT_DIR)))
    return None
