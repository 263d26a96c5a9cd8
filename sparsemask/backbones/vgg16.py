"""VGG-16 encoder (ChainerCV's VGG16) with 5 stages."""

from __future__ import division

from chainercv.links.model.vgg.vgg16 import VGG16 as _VGG16

from sparsemask.backbones._util import chainercv_pretrained_args
from sparsemask.backbones._util import ChainerCVEncoderMixin


class VGG16(ChainerCVEncoderMixin, _VGG16):
    """VGG-16 encoder with the stages ``pool1`` .. ``pool5``.

    This is :class:`chainercv.links.VGG16` with :obj:`pick` set to the
    stages and the fully connected layers removed, so its parameter names
    are those of ChainerCV's VGG16 and ChainerCV's ImageNet ``.npz`` loads
    into it.

    The stages are the outputs of the five 2x2 max poolings, ``pool1``
    (64 @ 2), ``pool2`` (128 @ 4), ``pool3`` (256 @ 8), ``pool4``
    (512 @ 16) and ``pool5`` (512 @ 32), given as channels @ stride, so the
    strides match those of the ResNet encoders. G is the spatial mean of
    ``pool5``. The features are already activated (ReLU before max
    pooling), so :attr:`feature_activation` is :obj:`None`. The poolings
    cover the whole input (:obj:`cover_all`), so a stage of stride
    :math:`s` has spatial size :math:`\\lceil H / s \\rceil`.

    Args:
        pretrained_model (str): :obj:`None` (random initialization),
            ``'imagenet'`` (ChainerCV's ImageNet weights, downloaded on first
            use) or the path of an ``.npz`` file saved from ChainerCV's VGG16
            or from this backbone.

    Attributes:
        channels (tuple of ints): Channels of the 5 stages.
        strides (tuple of ints): Strides of the 5 stages.
        g_channels (int): Channels of G.
        mean (numpy.ndarray): ImageNet mean (3, 1, 1) in RGB order.
        std (numpy.ndarray): Ones (3, 1, 1).
        feature_activation: :obj:`None`.

    """

    stage_names = ('pool1', 'pool2', 'pool3', 'pool4', 'pool5')
    channels = (64, 128, 256, 512, 512)
    strides = (2, 4, 8, 16, 32)
    g_channels = 512

    def __init__(self, pretrained_model=None):
        cv_pretrained_model, initialW, path = chainercv_pretrained_args(
            pretrained_model)
        super(VGG16, self).__init__(
            n_class=1000, pretrained_model=cv_pretrained_model,
            initialW=initialW)
        self._to_encoder(path)
