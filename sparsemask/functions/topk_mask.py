import numpy

import chainer


def topk_mask(w, k):
    """The mask of the ``k`` largest connection weights of a stage.

    The MaskConnect-style search (``train.search_loss: topk``) lets each
    stage use only its ``k`` largest weights, and its pruning keeps exactly
    those inputs; both call this function, so that they choose alike. Of
    equal weights the one with the lower index (the earlier input in the
    canonical order, :func:`sparsemask.connectivity.input_order`) is
    taken. A stage with at most ``k`` inputs keeps them all.

    Args:
        w (numpy.ndarray or cupy.ndarray): the weights of one stage,
            shape ``(T,)``.
        k (int): how many to keep, ``k >= 1``.

    Returns:
        numpy.ndarray or cupy.ndarray: a mask of ``w``'s dtype and array
        module: 1 at the ``min(k, T)`` largest weights, 0 elsewhere.

    Raises:
        ValueError: if ``k < 1`` or ``w`` is not one-dimensional.

    """
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError('topk_mask: k must be a positive integer, not '
                         '{!r}'.format(k))
    xp = chainer.backend.get_array_module(w)
    values = numpy.asarray(chainer.backends.cuda.to_cpu(w))
    if values.ndim != 1:
        raise ValueError('topk_mask: w must be one-dimensional, not of '
                         'shape {}'.format(values.shape))
    # a stable sort of -w: of equal weights, the lower index comes first
    order = numpy.argsort(-values.astype(numpy.float64), kind='stable')
    mask = numpy.zeros(values.shape, dtype=values.dtype)
    mask[order[:int(k)]] = 1
    return xp.asarray(mask)
