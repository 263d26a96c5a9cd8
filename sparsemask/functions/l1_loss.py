import chainer.functions as F


def l1_loss(w):
    """The L1 penalty of one decoder stage's connection weights.

    .. math::
        L_1(w) = \\sum_t |w^t|

    The "widely used L1 loss" the paper compares its sparse loss with
    (Sec. 4.2, Table 1 "Ours w/ L1"): ``train.search_loss: l1`` replaces
    :func:`~sparsemask.functions.sparse_loss` by it, with the same
    ``lambda``. Its gradient is ``lambda`` for every weight above 0: it
    shrinks all weights alike and makes none binary, while the sparse
    loss' gradient grows without bound as a weight nears 0 or 1 (paper
    Fig. 4; after its L1 search no weight was below the threshold 0.001).
    Mind the scales: the sparse loss averages over each stage's ``|w_l|``
    weights, so at one ``lambda`` L1 pulls harder on weights near 0.5
    (``|w_l|`` times, up to 18 for MobileNetV2) and may prune more.

    Args:
        w (~chainer.Variable or array): the stage's connection weights,
            shape ``(T,)``.

    Returns:
        ~chainer.Variable: a scalar.

    """
    return F.sum(F.absolute(w))
