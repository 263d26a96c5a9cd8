"""Encoder backbones with the interface the SparseMask decoder expects.

A backbone is a :class:`chainer.Chain` with the attributes ``channels``,
``strides``, ``g_channels``, ``mean``, ``std`` and ``feature_activation``,
and ``forward(x) -> (stages, g)``.
"""

from sparsemask.backbones.mobilenet_v2 import MobileNetV2  # NOQA
from sparsemask.backbones.resnet import ResNet101  # NOQA
from sparsemask.backbones.resnet import ResNet50  # NOQA
from sparsemask.backbones.vgg16 import VGG16  # NOQA
