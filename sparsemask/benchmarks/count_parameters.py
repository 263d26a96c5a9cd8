"""Parameters counted as the paper counts them: encoder+decoder.

The paper's FCN baseline has 2.22+0.03M, and 0.03M is the 21-class 1x1
classifier on 1280 channels (26,901 parameters), so the decoder includes
the head (``model.decoder`` + ``model.head``); the encoder is
``model.backbone`` without the parameters its forward pass never uses:
MobileNetV2 keeps its ImageNet classifier ``logits_conv`` (1,282,281
parameters) only so that ImageNet weights load, and 2.22M is MobileNetV2
without it. Batch normalisation scales and shifts count, running
statistics do not. MobileNetV2 width 1.0, 21 classes and the paper's
architecture give 2,223,872 + 560,981 = ``2.22+0.56M``, the paper's
figures.
"""

import numpy

import chainer
import chainer.functions as F


def paper_format(encoder, decoder):
    """Formats parameter counts as the paper does: ``2.22+0.56M``.

    Args:
        encoder (int): encoder parameters.
        decoder (int): decoder parameters.

    Returns:
        str: millions with two decimals, ``<encoder>+<decoder>M``.

    """
    return '{:.2f}+{:.2f}M'.format(encoder / 1e6, decoder / 1e6)


def unused_parameters(model, size=(64, 64)):
    """Finds the parameters a forward pass never reaches.

    A small batch goes forward and backward (test mode, nothing is
    updated); the parameters left without a gradient are unused (for
    MobileNetV2, the ImageNet classifier ``logits_conv``).

    Args:
        model (~sparsemask.links.SparseMask): the model, on the CPU.
        size (tuple of int): the probe's input size.

    Returns:
        list of str: the unused parameters' names.

    """
    x = numpy.zeros((1, 3) + tuple(size), numpy.float32)
    model.cleargrads()
    with chainer.using_config('train', False):
        F.sum(model(x)).backward()
    unused = [name for name, p in model.namedparams() if p.grad is None]
    model.cleargrads()
    return unused


def count_parameters(model, unused=None):
    """Counts parameters as encoder+decoder, as the paper does.

    Args:
        model (~sparsemask.links.SparseMask): the model.
        unused (sequence of str): names of parameters the forward pass
            never uses (:func:`unused_parameters` by default); those of the
            encoder are not counted.

    Returns:
        dict: ``encoder`` (backbone minus unused), ``encoder_unused``,
        ``decoder`` (FDN decoder + head), ``decoder_stages``, ``head``,
        ``total`` (every parameter of the model, unused included) and
        ``paper_format``.

    """
    if unused is None:
        unused = unused_parameters(model)
    unused = set(unused)
    backbone = sum(p.size for p in model.backbone.params())
    encoder_unused = sum(p.size for name, p in model.namedparams()
                         if name in unused and name.startswith('/backbone/'))
    stages = sum(p.size for p in model.decoder.params())
    head = sum(p.size for p in model.head.params())
    counts = {
        'encoder': int(backbone - encoder_unused),
        'encoder_unused': int(encoder_unused),
        'decoder': int(stages + head),
        'decoder_stages': int(stages),
        'head': int(head),
        'total': int(sum(p.size for p in model.params())),
    }
    counts['paper_format'] = paper_format(counts['encoder'],
                                          counts['decoder'])
    return counts
