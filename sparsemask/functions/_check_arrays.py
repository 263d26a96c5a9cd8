"""The type checks of a convolution's ``FunctionNode``, on arrays, for the
forward passes that run without a graph (and so without
``check_type_forward``)."""

from chainer.utils import type_check


def check_arrays(arrays, weight_checks):
    """Raises :class:`~chainer.utils.type_check.InvalidType` as
    ``check_type_forward`` would.

    Args:
        arrays (list of numpy.ndarray): ``x``, ``W`` and optionally ``b``.
        weight_checks (callable): ``(x, W)`` -> list of ``(ok, expected,
            actual)`` for the shapes of ``W`` against ``x`` (both 4-D).

    """
    x, W = arrays[:2]
    expect = [
        (x.dtype.kind == 'f', 'x.dtype.kind == f', x.dtype),
        (W.dtype == x.dtype, 'W.dtype == x.dtype', (W.dtype, x.dtype)),
        (x.ndim == 4, 'x.ndim == 4', x.ndim),
        (W.ndim == 4, 'W.ndim == 4', W.ndim)]
    if x.ndim == 4 and W.ndim == 4:
        expect += weight_checks(x, W)
    if len(arrays) == 3:
        b = arrays[2]
        expect += [
            (b.dtype == x.dtype, 'b.dtype == x.dtype', (b.dtype, x.dtype)),
            (b.ndim == 1 and b.shape[0] == W.shape[0],
             'b.shape == (W.shape[0],)', (b.shape, W.shape))]
    for ok, expected, actual in expect:
        if not ok:
            raise type_check.InvalidType(expected, str(actual))
