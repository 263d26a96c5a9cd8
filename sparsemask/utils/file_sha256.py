"""The SHA-256 of a file."""

import hashlib


def file_sha256(path):
    """The SHA-256 of a file, as hex, read in 1 MiB blocks.

    Args:
        path (str): the file.

    Returns:
        str: 64 hex digits.

    """
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()
