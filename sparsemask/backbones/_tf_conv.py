"""TensorFlow-compatible convolution links used by :class:`MobileNetV2`.

The link hierarchy and parameter names follow the MobileNetV2 of ChainerCV's
later master branch (``chainercv/links/model/mobilenet``), so that its
ImageNet weights (converted from TensorFlow slim) load with
:func:`chainer.serializers.load_npz`.

"""

from __future__ import division

import chainer
import chainer.functions as F
import chainer.links as L


def relu6(x):
    """ReLU6, :math:`\\min(\\max(x, 0), 6)`.

    Args:
        x (~chainer.Variable or array): Input.

    Returns:
        ~chainer.Variable: The clipped input.

    """
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

    def forward(self, x):
        """Applies the padding and the convolution.

        Args:
            x (~chainer.Variable or array): Input of shape (N, C, H, W).

        Returns:
            ~chainer.Variable: The output.

        """
        if self.tf_padding == 'SAME':
            kh, kw = _pair(self.conv.ksize)
            sh, sw = _pair(self.conv.stride)
            dh, dw = _pair(self.conv.dilate)
            ph = tf_same_pad(x.shape[2], kh, sh, dh)
            pw = tf_same_pad(x.shape[3], kw, sw, dw)
            if ph or pw:
                x = F.pad(
                    x, ((0, 0), (0, 0),
                        (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)),
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

        Args:
            x (~chainer.Variable or array): Input of shape (N, C, H, W).

        Returns:
            ~chainer.Variable: The output.

        """
        h = self.bn(self.conv(x))
        if self.activ is not None:
            h = self.activ(h)
        return h
