"""The pieces of the in-place CPU inference path: when it applies, ReLU6
on arrays, and a batch normalization in test mode as a scale and shift.

In test mode without backprop (evaluation, ``predict``) on the CPU, the
backbone folds each batch normalization into its convolution
(:class:`~sparsemask.backbones._tf_conv.TFConv2DBNActiv`) and the decoder
and head work on arrays the pass owns, in place
(:mod:`sparsemask.links._inference`). ``chainer.config.stock_functions``
turns it off.
"""

import numpy

import chainer
import chainer.links as L


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
    in place). (``numpy.clip`` is several times slower than these two.)"""
    y = numpy.maximum(x, 0, out=out)
    return numpy.minimum(y, 6, out=y)


def folded_batch_normalization(bn):
    """A batch normalization in test mode as ``y = scale * x + shift``.

    Args:
        bn (~chainer.links.BatchNormalization): the link (its running
            statistics, ``gamma`` and ``beta``).

    Returns:
        tuple: ``(scale, shift)`` per channel, or None if ``bn`` is not a
        plain :class:`chainer.links.BatchNormalization`.

    """
    if type(bn) is not L.BatchNormalization:
        return None
    scale = (bn.avg_var + bn.eps) ** -0.5
    if bn.gamma is not None:
        scale = scale * bn.gamma.array
    shift = -bn.avg_mean * scale
    if bn.beta is not None:
        shift = shift + bn.beta.array
    return scale, shift
