import numpy

import chainer
import chainer.functions as F
import chainer.links as L


class TinyBackbone(chainer.Chain):
    """A 3-stage encoder with the backbone interface, for fast tests."""

    channels = (4, 6, 8)
    strides = (2, 4, 8)
    g_channels = 8
    mean = numpy.full((3, 1, 1), 100, dtype=numpy.float32)
    std = numpy.full((3, 1, 1), 50, dtype=numpy.float32)

    def __init__(self, feature_activation=None):
        super(TinyBackbone, self).__init__()
        self.feature_activation = feature_activation
        with self.init_scope():
            self.c1 = L.Convolution2D(3, 4, 3, stride=2, pad=1)
            self.c2 = L.Convolution2D(4, 6, 3, stride=2, pad=1)
            self.c3 = L.Convolution2D(6, 8, 3, stride=2, pad=1)

    def forward(self, x):
        e1 = F.relu(self.c1(x))
        e2 = F.relu(self.c2(e1))
        e3 = F.relu(self.c3(e2))
        return (e1, e2, e3), F.mean(e3, axis=(2, 3), keepdims=True)
