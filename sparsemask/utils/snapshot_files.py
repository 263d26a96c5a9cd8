"""Trainer snapshot files: listing them by iteration and moving them aside.

Shared by the resume logic (:mod:`sparsemask.training.snapshots`), the
snapshot retention and the divergence handling (:mod:`sparsemask.extensions`).
"""

import os
import re


#: The name of a trainer snapshot; the number is the iteration.
SNAPSHOT_PATTERN = re.compile(r'^snapshot_iter_(\d+)$')


def list_snapshots(directory):
    """The trainer snapshots in a directory, ordered by iteration.

    Only files named ``snapshot_iter_<N>`` count; the order is that of
    ``N``, never of modification times (a copied or restored directory
    has meaningless ones).

    Args:
        directory (str): a run's output directory.

    Returns:
        list of tuple: ``(iteration, path)``, oldest first; empty if the
        directory does not exist.

    """
    if not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        m = SNAPSHOT_PATTERN.match(name)
        path = os.path.join(directory, name)
        if m is not None and os.path.isfile(path):
            found.append((int(m.group(1)), path))
    return sorted(found)


def move_aside(path, target_dir):
    """Moves a file into a directory without overwriting anything there.

    Args:
        path (str): the file.
        target_dir (str): the directory (created if needed); a file of the
            same name already there gets a ``.1``, ``.2``, ... suffix on
            the moved one.

    Returns:
        str: the new path.

    Raises:
        OSError: if the directory cannot be made or the file moved.

    """
    os.makedirs(target_dir, exist_ok=True)
    name = os.path.basename(path)
    target = os.path.join(target_dir, name)
    n = 1
    while os.path.exists(target):
        target = os.path.join(target_dir, '{}.{}'.format(name, n))
        n += 1
    os.rename(path, target)
    return target
