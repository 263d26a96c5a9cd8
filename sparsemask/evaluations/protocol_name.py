"""The short name of an evaluation protocol."""


def protocol_name(scales, flip, pad_to):
    """A short name of the protocol, e.g. ``ms0.5-1.75_flip_pad513``.

    Args:
        scales (sequence of float): the input scales.
        flip (bool): also the mirrored images.
        pad_to (tuple of int): ``(H, W)`` each input is padded to, or
            None.

    Returns:
        str: the name (``single_scale`` for scale 1.0 alone, no flip, no
        padding).

    """
    parts = []
    if list(scales) != [1.0]:
        parts.append('ms' + '-'.join('{:g}'.format(s) for s in scales))
    if flip:
        parts.append('flip')
    if pad_to is not None:
        parts.append('pad{}'.format(pad_to[0]) if pad_to[0] == pad_to[1]
                     else 'pad{}x{}'.format(*pad_to))
    return '_'.join(parts) or 'single_scale'
