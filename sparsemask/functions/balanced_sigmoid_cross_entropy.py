import numpy

import chainer
import chainer.functions as F


def balanced_sigmoid_cross_entropy(x, t, normalize=True):
    """HED's class-balanced sigmoid cross entropy (Xie and Tu, ICCV 2015,
    Eq. 2), for edge maps.

    For each image, with ``Y+`` its edge pixels (``t == 1``), ``Y-`` its
    non-edge pixels (``t == 0``) and ``beta = |Y-| / (|Y+| + |Y-|)``::

        L = -beta * sum_{j in Y+} log sigmoid(x_j)
            - (1 - beta) * sum_{j in Y-} log (1 - sigmoid(x_j))

    Pixels with ``t == -1`` (drawn by too few annotators) are ignored. The
    rare edges thus weigh as much in all as the many non-edges. HED sums
    over the pixels; with ``normalize`` the sum of an image is divided by
    its number of labelled pixels, so that the scale of the loss, and of
    the learning rate that suits it, does not depend on the image size.
    The result is the mean over the images of the batch.

    Args:
        x (~chainer.Variable or array): logits ``(N, H, W)`` or ``(N, 1,
            H, W)``.
        t (array): int32 labels of ``x``'s shape: 1 (edge), 0 (non-edge) or
            -1 (ignored).
        normalize (bool): divide each image's sum by its labelled pixels.

    Returns:
        ~chainer.Variable: the scalar loss.

    """
    xp = chainer.backend.get_array_module(t)
    t = xp.asarray(t)
    n = t.shape[0]
    x = F.reshape(x, (n, -1))
    t = t.reshape(n, -1)
    if x.shape != t.shape:
        raise ValueError('balanced_sigmoid_cross_entropy: the logits hold '
                         '{} values per image and the labels {}'.format(
                             x.shape[1], t.shape[1]))
    positive = (t == 1).sum(axis=1, keepdims=True).astype(x.dtype)
    negative = (t == 0).sum(axis=1, keepdims=True).astype(x.dtype)
    labelled = positive + negative
    beta = negative / xp.maximum(labelled, 1)
    weight = xp.where(t == 1, beta, 1 - beta).astype(x.dtype)
    weight *= (t >= 0)
    if normalize:
        weight /= xp.maximum(labelled, 1)
    # (sigmoid_cross_entropy ignores t == -1 itself and wants int32)
    loss = F.sigmoid_cross_entropy(x, t.astype(numpy.int32), reduce='no')
    return F.sum(loss * weight) / n
