"""The in-place CPU inference path of the decoder and the head.

In test mode without backprop (evaluation, ``predict``) on the CPU, the
decoder's activations, batch normalizations and the head's 1x1
convolution work on arrays the forward pass owns, in place, instead of
going through Chainer's functions (which allocate a new array per step).
``chainer.config.stock_functions`` turns it off.
"""

import numpy

import chainer
import chainer.links as L

from sparsemask.backbones import _tf_conv


def is_relu6(fn):
    """Whether ``fn`` is one of the project's ReLU6 functions (the
    decoder's or MobileNetV2's), which the in-place path replaces."""
    from sparsemask.links import fdn_decoder
    return fn is fdn_decoder.relu6 or fn is _tf_conv.relu6


def cpu_inference(x):
    """Whether the in-place inference path applies.

    Args:
        x (~chainer.Variable or array): an input of the forward pass.

    Returns:
        bool: test mode, no backprop, a NumPy array, and not
        ``chainer.config.stock_functions``.

    """
    return (not chainer.config.train and not chainer.config.enable_backprop
            and not getattr(chainer.config, 'stock_functions', False)
            and isinstance(chainer.as_array(x), numpy.ndarray))


def relu6_array(x, out=None):
    """ReLU6 of an array, into ``out`` (a new array by default; ``x`` for
    in place)."""
    y = numpy.maximum(x, 0, out=out)
    return numpy.minimum(y, 6, out=y)


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
    if type(bn) is not L.BatchNormalization:
        return None
    scale = (bn.avg_var + bn.eps) ** -0.5
    if bn.gamma is not None:
        scale = scale * bn.gamma.array
    shift = -bn.avg_mean * scale
    if bn.beta is not None:
        shift = shift + bn.beta.array
    y *= scale.astype(y.dtype)[:, None, None]
    y += shift.astype(y.dtype)[:, None, None]
    return y
