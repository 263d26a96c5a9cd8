"""MobileNetV2 encoder with the 9 stages used by SparseMask.

The link hierarchy and parameter names follow the MobileNetV2 of ChainerCV's
later master branch (``chainercv/links/model/mobilenet``, converted from
TensorFlow slim), so its ImageNet weights load with
:func:`chainer.serializers.load_npz`:

* ``conv``: 3x3 stride-2 :class:`TFConv2DBNActiv` (``conv/conv/conv/W``,
  ``conv/bn/*``);
* ``expanded_conv``, ``expanded_conv_1`` ... ``expanded_conv_16``:
  :class:`ExpandedConv2D` blocks with children ``expand`` (absent when the
  expansion does not add channels), ``depthwise`` and ``project``;
* ``conv1``: the last 1x1 :class:`TFConv2DBNActiv`;
* ``logits_conv``: 1x1 :class:`TFConvolution2D` with bias, 1001 classes.

"""

from __future__ import division

import numpy

import chainer

from chainercv.links import PickableSequentialChain
from chainercv import utils

from sparsemask.backbones._tf_conv import relu6
from sparsemask.backbones._tf_conv import TFConv2DBNActiv
from sparsemask.backbones._tf_conv import TFConvolution2D
from sparsemask.backbones._util import check_pretrained_model
from sparsemask.backbones._weights import load_encoder_npz
from sparsemask.backbones._weights import packaged_weights
from sparsemask.backbones._util import global_average


def _make_divisible(v, divisor, min_value=None):
    """Rounds a channel count to a multiple of :obj:`divisor`.

    This is the rounding rule of TensorFlow's MobileNet code: round to the
    nearest multiple, never below :obj:`min_value`, and never more than 10%
    below :obj:`v`.

    Args:
        v (float): Channel count before rounding.
        divisor (int): The divisor.
        min_value (int): Smallest result. :obj:`divisor` if :obj:`None`.

    Returns:
        int: The rounded channel count.

    """
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _multiplied(channels, width_multiplier):
    return _make_divisible(channels * width_multiplier, 8, 8)


class ExpandedConv2D(chainer.Chain):
    """Inverted residual block: expand, depthwise, project (+ residual).

    ``x -> expand (1x1, ReLU6) -> depthwise (3x3, ReLU6) -> project (1x1,
    linear)``, plus ``x`` when the output has the shape of the input.

    Args:
        in_channels (int): Number of input channels.
        out_channels (int): Number of output channels.
        expansion (float): Expansion factor of the inner channels.
        expansion_divisor (int): Divisor used to round the inner channels
            (see :func:`_make_divisible`).
        stride (int): Stride of the depthwise convolution.
        initialW (callable): Initializer of the convolution weights.
        bn_kwargs (dict): Keyword arguments of the batch normalizations
            (see :class:`TFConv2DBNActiv`).

    """

    def __init__(self, in_channels, out_channels, expansion=6,
                 expansion_divisor=8, stride=1, initialW=None,
                 bn_kwargs=None):
        super(ExpandedConv2D, self).__init__()
        inner = _make_divisible(in_channels * expansion, expansion_divisor)
        if inner < in_channels:
            raise ValueError('the expansion must not reduce the channels')
        self.inner_channels = inner
        with self.init_scope():
            if inner > in_channels:
                self.expand = TFConv2DBNActiv(
                    in_channels, inner, 1, initialW=initialW,
                    activ=relu6, bn_kwargs=bn_kwargs)
            self.depthwise = TFConv2DBNActiv(
                inner, inner, 3, stride=stride, groups=inner,
                initialW=initialW, activ=relu6, bn_kwargs=bn_kwargs)
            self.project = TFConv2DBNActiv(
                inner, out_channels, 1, initialW=initialW, activ=None,
                bn_kwargs=bn_kwargs)

    def forward(self, x):
        """Applies the block.

        Args:
            x (~chainer.Variable or array): Input of shape (N, C, H, W).

        Returns:
            ~chainer.Variable: The output.

        """
        h = x
        if hasattr(self, 'expand'):
            h = self.expand(h)
        h = self.project(self.depthwise(h))
        if h.shape == x.shape:
            h = h + x
        return h


# (out_channels, depthwise stride) of expanded_conv_1 .. expanded_conv_16.
_BLOCKS = ((24, 2), (24, 1),
           (32, 2), (32, 1), (32, 1),
           (64, 2), (64, 1), (64, 1), (64, 1),
           (96, 1), (96, 1), (96, 1),
           (160, 2), (160, 1), (160, 1),
           (320, 1))

_STAGES = ('conv', 'expanded_conv', 'expanded_conv_2', 'expanded_conv_5',
           'expanded_conv_9', 'expanded_conv_12', 'expanded_conv_15',
           'expanded_conv_16', 'conv1')

_BN_TF_DEFAULTS = {'decay': 0.999, 'eps': 1e-3}


class MobileNetV2(PickableSequentialChain):
    """MobileNetV2 encoder with 9 stages (SparseMask's E_1 .. E_9).

    The stages are, as channels @ stride for :obj:`width_multiplier=1`:
    the first conv (32 @ 2), the last block of each bottleneck group
    (``expanded_conv`` 16 @ 2, ``expanded_conv_2`` 24 @ 4,
    ``expanded_conv_5`` 32 @ 8, ``expanded_conv_9`` 64 @ 16,
    ``expanded_conv_12`` 96 @ 16, ``expanded_conv_15`` 160 @ 32,
    ``expanded_conv_16`` 320 @ 32) and the last 1x1 conv ``conv1``
    (1280 @ 32). ``conv`` and ``conv1`` are taken after their batch
    normalization and before their ReLU6 (the separate layers
    ``conv_relu6`` and ``conv1_relu6``); the block outputs are linear
    anyway. G is the spatial mean of ``conv1`` before ReLU6. The decoder
    applies :attr:`feature_activation` (ReLU6) to every feature.

    With TF 'SAME' padding a stage of stride :math:`s` has spatial size
    :math:`\\lceil H / s \\rceil`.

    The classifier ``logits_conv`` is kept so that ImageNet weights load
    strictly, but :meth:`forward` never computes it (its parameters get no
    gradient).

    Args:
        pretrained_model (str): :obj:`None` (random initialization),
            ``'imagenet'`` (the TF slim weights converted by ChainerCV,
            downloaded to ``$CHAINER_DATASET_ROOT/pfnet/chainercv/models``;
            only for :obj:`width_multiplier=1`), ``'benchmark'`` (pretrained
            on the synthetic benchmark's image-level labels by
            ``train/pretrain.py``, shipped in ``sparsemask/backbones/weights``
            and checked against its SHA-256; only for
            :obj:`width_multiplier=0.35`) or the path of an ``.npz`` file
            with this layout (``logits_conv`` may be left out).
        width_multiplier (float): Channel multiplier (TF's
            ``depth_multiplier``). Channels are rounded with
            :func:`_make_divisible` to multiples of 8; ``conv1`` keeps 1280
            channels when the multiplier is below 1.
        bn_kwargs (dict): Keyword arguments of the batch normalizations,
            updating the TF defaults ``{'decay': 0.999, 'eps': 1e-3}``. With
            the key ``'comm'`` (a ChainerMN communicator)
            :class:`chainermn.links.MultiNodeBatchNormalization` is used.
        initialW (callable): Initializer of the convolution weights.

    Attributes:
        channels (tuple of ints): Channels of the 9 stages.
        strides (tuple of ints): Strides of the 9 stages.
        g_channels (int): Channels of G.
        mean (numpy.ndarray): Mean (3, 1, 1) subtracted from RGB [0, 255]
            images.
        std (numpy.ndarray): Divisor (3, 1, 1) applied after the mean.
        feature_activation (callable): ReLU6.

    """

    _models = {
        'imagenet': {
            'url': 'https://chainercv-models.preferred.jp/'
            'mobilenet_v2_depth_multiplier_1.0_imagenet_converted_'
            '2019_04_01.npz',
            'width_multiplier': 1.,
        },
        # pretrained on the synthetic benchmark's image-level labels by
        # train/pretrain.py (configs/pretrain_benchmark.yaml)
        'benchmark': {
            'file': 'mobilenetv2_w0.35_benchmark.npz',
            'width_multiplier': 0.35,
        },
    }

    stage_names = _STAGES
    strides = (2, 2, 4, 8, 16, 16, 32, 32, 32)
    n_class = 1001

    def __init__(self, pretrained_model=None, width_multiplier=1.,
                 bn_kwargs=None, initialW=None):
        if not width_multiplier > 0:
            raise ValueError('width_multiplier must be positive')
        check_pretrained_model(pretrained_model, self._models)
        known = self._models.get(pretrained_model)
        if known is not None and \
                width_multiplier != known['width_multiplier']:
            raise ValueError(
                'pretrained_model={!r} exists only for '
                'width_multiplier={:g}; pass the path of an .npz file '
                'instead'.format(
                    pretrained_model, known['width_multiplier']))
        kwargs = dict(_BN_TF_DEFAULTS)
        if bn_kwargs is not None:
            kwargs.update(bn_kwargs)
        bn_kwargs = kwargs

        super(MobileNetV2, self).__init__()
        self.width_multiplier = width_multiplier
        self.feature_activation = relu6
        # TF preprocessing: img / 128 - 1 == (img - 128) / 128.
        self.mean = numpy.full((3, 1, 1), 128, dtype=numpy.float32)
        self.std = numpy.full((3, 1, 1), 128, dtype=numpy.float32)

        conv_ch = _multiplied(32, width_multiplier)
        with self.init_scope():
            self.conv = TFConv2DBNActiv(
                3, conv_ch, 3, stride=2, initialW=initialW, activ=None,
                bn_kwargs=bn_kwargs)
            self.conv_relu6 = relu6
            in_ch = _multiplied(16, width_multiplier)
            self.expanded_conv = ExpandedConv2D(
                conv_ch, in_ch, expansion=1, expansion_divisor=1,
                initialW=initialW, bn_kwargs=bn_kwargs)
            block_channels = [conv_ch, in_ch]
            for i, (out_ch, stride) in enumerate(_BLOCKS):
                out_ch = _multiplied(out_ch, width_multiplier)
                setattr(self, 'expanded_conv_{}'.format(i + 1),
                        ExpandedConv2D(in_ch, out_ch, stride=stride,
                                       initialW=initialW,
                                       bn_kwargs=bn_kwargs))
                block_channels.append(out_ch)
                in_ch = out_ch
            if width_multiplier < 1:
                conv1_ch = 1280
            else:
                conv1_ch = _multiplied(1280, width_multiplier)
            self.conv1 = TFConv2DBNActiv(
                in_ch, conv1_ch, 1, initialW=initialW, activ=None,
                bn_kwargs=bn_kwargs)
            self.conv1_relu6 = relu6
            self.global_average_pool = global_average
            self.logits_conv = TFConvolution2D(
                conv1_ch, self.n_class, 1, nobias=False, initialW=initialW)

        # block_channels[k] is the output of layer k in
        # (conv, expanded_conv, expanded_conv_1, ..., expanded_conv_16).
        self.channels = (
            block_channels[0], block_channels[1], block_channels[3],
            block_channels[6], block_channels[10], block_channels[13],
            block_channels[16], block_channels[17], conv1_ch)
        self.g_channels = conv1_ch
        self.pick = self.stage_names

        if known is None:
            path = pretrained_model
        elif 'url' in known:
            path = utils.download_model(known['url'])
        else:
            path = packaged_weights(known['file'])
        if path:
            # a file may leave out the classifier (train/pretrain.py's)
            load_encoder_npz(path, self)

    def forward(self, x):
        """Computes the encoder stages and G.

        Args:
            x (~chainer.Variable or array): Normalized images
                ``(img - mean) / std`` of shape (N, 3, H, W).

        Returns:
            tuple: ``(stages, g)``: :obj:`stages` is a tuple of the 9 stage
            features E_1 .. E_9 (finest first; the first and the last before
            ReLU6), :obj:`g` the spatial mean of E_9, of shape
            (N, g_channels, 1, 1).

        """
        stages = super(MobileNetV2, self).forward(x)
        return stages, global_average(stages[-1])
