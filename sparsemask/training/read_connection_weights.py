from sparsemask.extensions import load_connection_weights
from sparsemask.training.config import ConfigError
from sparsemask.training.snapshots import check_snapshot
from sparsemask.utils.one_line import one_line


def read_connection_weights(path):
    """Reads a search's ``connection_weights.npz``, checked.

    Args:
        path (str): the file ``train/search.py`` wrote.

    Returns:
        dict: what :func:`~sparsemask.extensions.load_connection_weights`
        returns (the weights of each decoder stage).

    Raises:
        SnapshotError: if the file cannot be read.
        ConfigError: if it is not such a file or holds no weights; the
            message names it.

    """
    check_snapshot(path)
    try:
        weights = load_connection_weights(path)
    except (KeyError, ValueError, IndexError) as e:
        raise ConfigError(
            '{}: not a connection_weights.npz written by train/search.py '
            '({}: {})'.format(path, type(e).__name__, one_line(e)))
    if not weights:
        raise ConfigError('{}: holds no connection weights'.format(path))
    return weights
