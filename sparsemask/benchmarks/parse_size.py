"""Sizes given on a command line: ``H`` or ``HxW``."""

from sparsemask.training import ConfigError


def parse_size(text, option='--size'):
    """Parses ``H`` or ``HxW``.

    Args:
        text (str): the value.
        option (str): the option, for the error message.

    Returns:
        tuple: ``(H, W)``.

    """
    parts = str(text).lower().split('x')
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        size = ()
    if len(size) == 1:
        size = size * 2
    if len(size) != 2 or min(size) < 1:
        raise ConfigError('{} {!r}: expected H or HxW, positive '
                          'integers'.format(option, text))
    return size
