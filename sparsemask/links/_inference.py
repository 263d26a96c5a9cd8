"""The in-place CPU inference path of the decoder and the head.

In test mode without backprop (evaluation, ``predict``) on the CPU, the
decoder's activations, batch normalizations and the head's 1x1
convolution work on arrays the forward pass owns, in place, instead of
going through Chainer's functions (which allocate a new array per step).
``chainer.config.stock_functions`` turns it off.
"""

from sparsemask.backbones import _tf_conv
from sparsemask.utils.inference import folded_batch_normalization


def is_relu6(fn):
    """Whether ``fn`` is one of the project's ReLU6 functions (the
    decoder's or MobileNetV2's), which the in-place path replaces."""
    from sparsemask.links import fdn_decoder
    return fn is fdn_decoder.relu6 or fn is _tf_conv.relu6


def batch_normalization_inplace(bn, y):
    """Applies a batch normalization in test mode to ``y`` in place.

    Args:
        bn (~chainer.links.BatchNormalization): the link (its running
            statistics, ``gamma`` and ``beta``).
        y (numpy.ndarray): ``(N, C, H, W)``, overwritten.

    Returns:
        numpy.ndarray or None: ``y``, or None if ``bn`` is not a plain
        :class:`chainer.links.BatchNormalization` (nothing was done).

    """
    folded = folded_batch_normalization(bn)
    if folded is None:
        return None
    scale, shift = folded
    scale = scale.astype(y.dtype, copy=False)
    shift = shift.astype(y.dtype, copy=False)
    if y.flags.c_contiguous:
        # rows of whole channels (NumPy's broadcast loop pays per row)
        rows = y.reshape(y.shape[0], y.shape[1], -1)
        rows *= scale[:, None]
        rows += shift[:, None]
    else:
        y *= scale[:, None, None]
        y += shift[:, None, None]
    return y
