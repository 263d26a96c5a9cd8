"""ResNet-50/101 encoders (ChainerCV's ResNet) with 5 stages."""

from __future__ import division

from chainercv.links.model.resnet.resnet import ResNet

from sparsemask.backbones._util import chainercv_pretrained_args
from sparsemask.backbones._util import ChainerCVEncoderMixin


class ResNetBackbone(ChainerCVEncoderMixin, ResNet):
    """ResNet encoder with the stages ``conv1`` .. ``res5``.

    This is :class:`chainercv.links.model.resnet.ResNet` with :obj:`pick`
    set to the stages and the unused layers (``pool5``, ``fc6``, ``prob``)
    removed, so its parameter names are those of ChainerCV's ResNet and
    ChainerCV's ImageNet ``.npz`` files load into it.

    The stages are ``conv1`` (64 @ 2, after ReLU, before the max pooling),
    ``res2`` (256 @ 4), ``res3`` (512 @ 8), ``res4`` (1024 @ 16) and ``res5``
    (2048 @ 32), given as channels @ stride. G is the spatial mean of
    ``res5``. All features are already activated (ReLU), so
    :attr:`feature_activation` is :obj:`None`.

    The reported strides are nominal: ChainerCV's Caffe-style max pooling
    (3x3, stride 2, no padding) makes ``res2`` one pixel smaller than
    :math:`\\lceil H / 4 \\rceil` for some sizes; a 65x65 input gives
    33, 16, 8, 4, 2 and a 513x513 input 257, 128, 64, 32, 16.

    Args:
        n_layer (int): 50, 101 or 152.
        pretrained_model (str): :obj:`None` (random initialization),
            ``'imagenet'`` (ChainerCV's ImageNet weights for :obj:`arch`,
            downloaded on first use) or the path of an ``.npz`` file saved
            from ChainerCV's ResNet or from this backbone.
        arch (str): ``'he'`` (stride in the first 1x1 convolution of a
            block, the original Caffe model) or ``'fb'``.

    Attributes:
        channels (tuple of ints): Channels of the 5 stages.
        strides (tuple of ints): Strides of the 5 stages.
        g_channels (int): Channels of G.
        mean (numpy.ndarray): ImageNet mean (3, 1, 1) in RGB order.
        std (numpy.ndarray): Ones (3, 1, 1).
        feature_activation: :obj:`None`.

    """

    stage_names = ('conv1', 'res2', 'res3', 'res4', 'res5')
    channels = (64, 256, 512, 1024, 2048)
    strides = (2, 4, 8, 16, 32)
    g_channels = 2048

    def __init__(self, n_layer, pretrained_model=None, arch='he'):
        cv_pretrained_model, initialW, path = chainercv_pretrained_args(
            pretrained_model)
        super(ResNetBackbone, self).__init__(
            n_layer, n_class=1000, pretrained_model=cv_pretrained_model,
            initialW=initialW, fc_kwargs={}, arch=arch)
        self._to_encoder(path)


class ResNet50(ResNetBackbone):
    """ResNet-50 encoder. See :class:`ResNetBackbone`.

    Args:
        pretrained_model (str): :obj:`None`, ``'imagenet'`` or an ``.npz``
            path.
        arch (str): ``'he'`` or ``'fb'``.

    """

    def __init__(self, pretrained_model=None, arch='he'):
        super(ResNet50, self).__init__(50, pretrained_model, arch)


class ResNet101(ResNetBackbone):
    """ResNet-101 encoder. See :class:`ResNetBackbone`.

    Args:
        pretrained_model (str): :obj:`None`, ``'imagenet'`` or an ``.npz``
            path.
        arch (str): ``'he'`` or ``'fb'``.

    """

    def __init__(self, pretrained_model=None, arch='he'):
        super(ResNet101, self).__init__(101, pretrained_model, arch)
