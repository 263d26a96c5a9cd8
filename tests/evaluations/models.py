"""Segmentation models whose predictions are known, for the evaluation
tests."""

import numpy

import chainer
import chainer.functions as F
import chainer.links as L


class _Normalised(chainer.Chain):
    mean = numpy.array([100, 110, 120], dtype=numpy.float32)[:, None, None]
    std = numpy.array([50, 60, 70], dtype=numpy.float32)[:, None, None]


class IdentityModel(_Normalised):
    """Logits are the normalised input: three classes, one per channel."""

    n_class = 3

    def forward(self, x):
        return chainer.as_variable(x)


class PixelModel(_Normalised):
    """A 1x1 convolution: every pixel's logits depend on its colour only,
    so mirroring commutes with the model."""

    def __init__(self, n_class=4, seed=0):
        super(PixelModel, self).__init__()
        self.n_class = n_class
        w = numpy.random.RandomState(seed).normal(
            size=(n_class, 3, 1, 1)).astype(numpy.float32)
        with self.init_scope():
            self.conv = L.Convolution2D(3, n_class, 1, initialW=w)

    def forward(self, x):
        return self.conv(x)


class ShiftModel(_Normalised):
    """The logits of a pixel are the input of its right neighbour: not
    mirror-symmetric."""

    n_class = 3

    def forward(self, x):
        x = chainer.as_variable(x)
        return F.concat((x[:, :, :, 1:], x[:, :, :, -1:]), axis=3)


class SizeModel(_Normalised):
    """Two classes; the logit of class 0 is the input's height / 100 at
    every pixel, that of class 1 is 0: the probabilities tell the size of
    the input the model saw."""

    n_class = 2

    def forward(self, x):
        n, _, h, w = x.shape
        logits = numpy.zeros((n, 2, h, w), dtype=numpy.float32)
        logits[:, 0] = h / 100
        return chainer.as_variable(logits)
