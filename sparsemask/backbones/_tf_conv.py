"""TensorFlow-compatible convolution links used by :class:`MobileNetV2`.

The link hierarchy and parameter names follow the MobileNetV2 of ChainerCV's
later master branch (``chainercv/links/model/mobilenet``), so that its
ImageNet weights (converted from TensorFlow slim) load with
:func:`chainer.serializers.load_npz`.

On the CPU, :class:`TFConvolution2D` computes its depthwise convolutions
with :func:`sparsemask.functions.depthwise_convolution_2d` (the ``'SAME'``
padding folded in, no ``im2col``) and its 1x1 convolutions with
:func:`sparsemask.functions.pointwise_convolution_2d` (a matrix product),
both several times faster than Chainer's grouped convolution and
``im2col``; the parameters are the same. ``chainer.config.stock_functions``
(unset: :obj:`False`) selects Chainer's own functions instead, e.g. to
measure them or to compare::

    with chainer.using_config('stock_functions', True):
        y = model(x)

On a GPU Chainer's functions (cuDNN) are always used.

"""

from __future__ import division

import numpy

import chainer
import chainer.functions as F
import chainer.links as L

from sparsemask.functions.depthwise_convolution_2d import \
    depthwise_convolution_2d
from sparsemask.functions.pointwise_convolution_2d import \
    pointwise_convolution_2d
from sparsemask.utils.inference import convolution_array
from sparsemask.utils.inference import cpu_inference
from sparsemask.utils.inference import relu6_array
from sparsemask.utils.inference import folded_batch_normalization


def relu6(x):
    """ReLU6, :math:`\\min(\\max(x, 0), 6)`.

    In inference on the CPU (see
    :func:`~sparsemask.utils.inference.cpu_inference`) the result is
    computed by :func:`~sparsemask.utils.inference.relu6_array` into a new
    array, without a graph.

    Args:
        x (~chainer.Variable or array): Input.

    Returns:
        ~chainer.Variable: The clipped input.

    """
    if cpu_inference(x):
        return chainer.Variable(relu6_array(chainer.as_array(x)),
                                requires_grad=False)
    return F.clipped_relu(x, 6.)


def _pair(x):
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return x, x


def tf_same_pad(in_size, ksize, stride, dilate=1):
    """Total padding of TensorFlow's ``'SAME'`` mode along one axis.

    With this padding the output size is :math:`\\lceil in / stride \\rceil`.
    TensorFlow puts the extra pixel of an odd total at the end (bottom or
    right).

    Args:
        in_size (int): Input size.
        ksize (int): Kernel size.
        stride (int): Stride.
        dilate (int): Dilation.

    Returns:
        int: The total padding (before + after).

    """
    out_size = -(-in_size // stride)
    eff_ksize = (ksize - 1) * dilate + 1
    return max((out_size - 1) * stride + eff_ksize - in_size, 0)


class TFConvolution2D(chainer.Chain):
    """A 2D convolution with TensorFlow's ``'SAME'``/``'VALID'`` padding.

    The convolution itself is the child link :obj:`conv`
    (a :class:`chainer.links.Convolution2D` without padding), so its weight
    lives at ``conv/W`` relative to this link.

    On the CPU, unless ``chainer.config.stock_functions`` is :obj:`True`,
    a depthwise convolution (``groups == in_channels == out_channels``,
    kernel larger than 1x1) is computed by
    :func:`~sparsemask.functions.depthwise_convolution_2d` with the padding
    folded in, a 1x1 convolution of stride 1 without padding by
    :func:`~sparsemask.functions.pointwise_convolution_2d`, and without
    backprop any other convolution of one group by
    :func:`~sparsemask.utils.inference.convolution_array` (C-ordered
    output); the results are those of the padding and :obj:`conv` (to
    rounding).

    Args:
        in_channels (int or None): Number of input channels.
        out_channels (int): Number of output channels.
        ksize (int or tuple of ints): Kernel size.
        stride (int or tuple of ints): Stride.
        pad (int, tuple of ints, 'SAME' or 'VALID'): Padding. An integer
            pads symmetrically as :class:`chainer.links.Convolution2D` does.
        nobias (bool): If :obj:`True`, no bias is used.
        initialW (callable): Initializer of the weight.
        initial_bias (callable): Initializer of the bias.
        dilate (int or tuple of ints): Dilation.
        groups (int): Number of groups (``in_channels`` for a depthwise
            convolution).

    """

    def __init__(self, in_channels, out_channels, ksize, stride=1,
                 pad='SAME', nobias=False, initialW=None, initial_bias=None,
                 dilate=1, groups=1):
        super(TFConvolution2D, self).__init__()
        if isinstance(pad, str) and pad not in ('SAME', 'VALID'):
            raise ValueError(
                "pad must be an int, a pair of ints, 'SAME' or 'VALID'; "
                'got {!r}'.format(pad))
        self.tf_padding = pad if isinstance(pad, str) else None
        conv_pad = 0 if isinstance(pad, str) else pad
        with self.init_scope():
            self.conv = L.Convolution2D(
                in_channels, out_channels, ksize, stride, conv_pad, nobias,
                initialW, initial_bias, dilate=dilate, groups=groups)

    @property
    def W(self):
        """~chainer.Parameter: The weight of the convolution."""
        return self.conv.W

    @property
    def b(self):
        """~chainer.Parameter or None: The bias of the convolution."""
        return self.conv.b

    def _pads(self, x):
        # ((top, bottom), (left, right))
        if self.tf_padding == 'SAME':
            kh, kw = _pair(self.conv.ksize)
            sh, sw = _pair(self.conv.stride)
            dh, dw = _pair(self.conv.dilate)
            ph = tf_same_pad(x.shape[2], kh, sh, dh)
            pw = tf_same_pad(x.shape[3], kw, sw, dw)
            return (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)
        if self.tf_padding == 'VALID':
            return (0, 0), (0, 0)
        ph, pw = _pair(self.conv.pad)
        return (ph, ph), (pw, pw)

    def _fast_forward(self, x, W=None, b=None):
        # the output by sparsemask.functions, or None where they do not
        # apply; W and b replace the link's weight and bias when given
        conv = self.conv
        if W is None:
            W, b = conv.W, conv.b
        x_array = x.array if isinstance(x, chainer.Variable) else x
        if getattr(chainer.config, 'stock_functions', False) or \
                not isinstance(x_array, numpy.ndarray) or \
                not isinstance(chainer.as_array(W), numpy.ndarray) or \
                getattr(conv, 'cover_all', False) or \
                x_array.dtype != W.dtype:
            return None
        C_out, C_in, kh, kw = W.shape
        stride = _pair(conv.stride)
        dilate = _pair(conv.dilate)
        if conv.groups > 1 and C_in == 1 and \
                conv.groups == C_out == x_array.shape[1] and \
                (kh, kw) != (1, 1):
            return depthwise_convolution_2d(
                x, W, b, stride, self._pads(x), dilate)
        if conv.groups == 1 and (kh, kw) == (1, 1) and \
                stride == (1, 1) and \
                self._pads(x) == ((0, 0), (0, 0)) and \
                C_in == x_array.shape[1]:
            return pointwise_convolution_2d(x, W, b)
        if conv.groups == 1 and C_in == x_array.shape[1] and \
                not chainer.config.enable_backprop:
            # no graph: Chainer's output would be channels-last, C order
            # for the passes that follow
            return chainer.Variable(convolution_array(
                x_array, chainer.as_array(W),
                None if b is None else chainer.as_array(b), stride,
                self._pads(x), dilate), requires_grad=False)
        return None

    def convolve(self, x, W, b=None):
        """The padding and a convolution of this link's geometry with
        other weights (e.g. with a batch normalization folded in).

        Args:
            x (~chainer.Variable or array): Input of shape (N, C, H, W).
            W (~chainer.Variable or array): a weight of :obj:`conv`'s shape.
            b (~chainer.Variable or array): a bias ``(C_out,)``, or None.

        Returns:
            ~chainer.Variable: The output.

        """
        y = self._fast_forward(x, W, b)
        if y is not None:
            return y
        (pt, pb), (pl, pr) = self._pads(x)
        if pt or pb or pl or pr:
            x = F.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)),
                      mode='constant')
        conv = self.conv
        return F.convolution_2d(x, W, b, conv.stride, 0, dilate=conv.dilate,
                                groups=conv.groups)

    def forward(self, x):
        """Applies the padding and the convolution.

        Args:
            x (~chainer.Variable or array): Input of shape (N, C, H, W).

        Returns:
            ~chainer.Variable: The output.

        """
        y = self._fast_forward(x)
        if y is not None:
            return y
        if self.tf_padding == 'SAME':
            (pt, pb), (pl, pr) = self._pads(x)
            if pt or pb or pl or pr:
                x = F.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)),
                          mode='constant')
        return self.conv(x)


def _make_bn(size, bn_kwargs):
    if 'comm' in bn_kwargs:
        from chainermn.links import MultiNodeBatchNormalization
        return MultiNodeBatchNormalization(size, **bn_kwargs)
    return L.BatchNormalization(size, **bn_kwargs)


class TFConv2DBNActiv(chainer.Chain):
    """:class:`TFConvolution2D`, batch normalization and an activation.

    The children are :obj:`conv` (a :class:`TFConvolution2D`, so the weight
    is at ``conv/conv/W``) and :obj:`bn`.

    Args:
        in_channels (int or None): Number of input channels.
        out_channels (int): Number of output channels.
        ksize (int or tuple of ints): Kernel size.
        stride (int or tuple of ints): Stride.
        pad (int, tuple of ints, 'SAME' or 'VALID'): Padding.
        dilate (int or tuple of ints): Dilation.
        groups (int): Number of groups.
        nobias (bool): If :obj:`True` (default), the convolution has no bias.
        initialW (callable): Initializer of the convolution weight.
        initial_bias (callable): Initializer of the convolution bias.
        activ (callable): Activation applied after the batch normalization,
            or :obj:`None` for none.
        bn_kwargs (dict): Keyword arguments of
            :class:`chainer.links.BatchNormalization`. When it has the key
            ``'comm'`` (a ChainerMN communicator),
            :class:`chainermn.links.MultiNodeBatchNormalization` is used
            with all these keyword arguments instead.

    """

    def __init__(self, in_channels, out_channels, ksize, stride=1,
                 pad='SAME', dilate=1, groups=1, nobias=True, initialW=None,
                 initial_bias=None, activ=relu6, bn_kwargs=None):
        super(TFConv2DBNActiv, self).__init__()
        self.activ = activ
        bn_kwargs = {} if bn_kwargs is None else bn_kwargs
        with self.init_scope():
            self.conv = TFConvolution2D(
                in_channels, out_channels, ksize, stride, pad, nobias,
                initialW, initial_bias, dilate=dilate, groups=groups)
            self.bn = _make_bn(out_channels, bn_kwargs)

    def forward(self, x):
        """Applies the convolution, the normalization and the activation.

        In inference on the CPU (test mode under
        :func:`chainer.no_backprop_mode`, unless
        ``chainer.config.stock_functions``), the batch normalization, which
        then uses its running statistics, is folded into the convolution:
        ``W' = W gamma / sqrt(var + eps)``, ``b' = beta - mean gamma /
        sqrt(var + eps)``, and ReLU6 clips the result in place; the output
        is the same to rounding.

        Args:
            x (~chainer.Variable or array): Input of shape (N, C, H, W).

        Returns:
            ~chainer.Variable: The output.

        """
        y = self._folded_forward(x)
        if y is not None:
            return y
        h = self.bn(self.conv(x))
        if self.activ is not None:
            h = self.activ(h)
        return h

    def _folded_forward(self, x):
        # inference on the CPU (test mode, no backprop): the batch
        # normalization folded into the convolution's weight and bias,
        # ReLU6 in place; None where it does not apply
        conv = self.conv.conv
        if not cpu_inference(x) or self.activ not in (relu6, None) or \
                conv.W.array is None or \
                not isinstance(conv.W.array, numpy.ndarray):
            return None
        folded = folded_batch_normalization(self.bn)
        if folded is None:
            return None
        scale, shift = folded
        if conv.b is not None:
            shift = shift + conv.b.array * scale
        dtype = conv.W.dtype
        W = (conv.W.array * scale[:, None, None, None]).astype(
            dtype, copy=False)
        shift = shift.astype(dtype, copy=False)
        y = self.conv.convolve(x, W, shift).array
        if self.activ is not None:
            relu6_array(y, out=y)
        return chainer.Variable(y, requires_grad=False)
