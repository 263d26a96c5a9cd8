import chainer.functions as F


_EPS = 1e-6


def default_alpha(n):
    """The sparsity target of a stage with ``n`` connections (paper Eq. 5).

    Args:
        n (int): ``|w_l|``, the number of connections of the stage.

    Returns:
        float: ``min(2 / n, 0.5)``: each stage tends to keep two inputs.

    """
    if n < 1:
        raise ValueError('a stage needs at least one connection, got n={}'
                         .format(n))
    return min(2.0 / n, 0.5)


def _cross_entropy(p, q):
    # L_m(p, q) = -p log q - (1 - p) log(1 - q); q is kept inside
    # [eps, 1 - eps] so that the value and the gradient stay finite when a
    # weight sits exactly on 0 or 1.
    q = F.clip(q, _EPS, 1.0 - _EPS)
    return -p * F.log(q) - (1.0 - p) * F.log(1.0 - q)


def sparse_loss(w, alpha):
    """The sparse loss of one decoder stage (paper Eq. 2).

    .. math::
        L_s(w, \\alpha) = \\mu(L_m(w, w)) + L_m(\\alpha, \\mu(w)),\\quad
        L_m(p, q) = -p \\log q - (1 - p) \\log(1 - q).

    The first term pushes every weight to 0 or 1; the second pushes their
    mean to ``alpha``. Inside the logarithms the weights are clipped to
    ``[1e-6, 1 - 1e-6]``, so that the loss and its gradient are finite at
    ``w = 0`` and ``w = 1`` (elsewhere the value is exactly Eq. 2).

    Args:
        w (~chainer.Variable or array): the stage's connection weights,
            shape ``(T,)``, in ``[0, 1]``.
        alpha (float): the sparsity target, see :func:`default_alpha`.

    Returns:
        ~chainer.Variable: a scalar.

    """
    binary = F.mean(_cross_entropy(w, w))
    mean = F.mean(w)
    sparsity = _cross_entropy(alpha, mean)
    return binary + sparsity
