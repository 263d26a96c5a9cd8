import numpy

import chainer
import chainer.functions as F
from chainercv.transforms import resize

from sparsemask.functions.resize_bilinear import resize_bilinear
from sparsemask.utils.pil_backend import pil_backend


def _scaled_size(size, scale):
    return tuple(max(1, int(round(s * scale))) for s in size)


def _pad_size(size, pad_to):
    if pad_to is None:
        return size
    return tuple(max(s, p) for s, p in zip(size, pad_to))


def predict_probabilities(model, img, scales=(1.0,), flip=False,
                          pad_to=None):
    """Class probabilities of one image, averaged over scales and flips.

    For each scale the image is resized (bilinear) to ``round(scale * H) x
    round(scale * W)``, normalised with the model's mean and std, padded
    evenly on both sides to at least ``pad_to`` with the mean pixel (0
    after normalisation; the authors' evaluation pads VOC images to 513
    so, ``dataset.py`` of wuhuikai/SparseMask), and, with ``flip``, also
    mirrored left to right. The logits of each input are cropped to the
    unpadded area, mirrored back, resized to ``H x W``
    (:func:`~sparsemask.functions.resize_bilinear`: bilinear, as
    :func:`chainer.functions.resize_images`) and turned into
    probabilities by a softmax (a sigmoid for one channel); the result is
    the mean of those probabilities (the protocol of the paper's Table 2
    with scales 0.5 to 1.75 and flips).

    Args:
        model (~chainer.Link): a segmentation model with ``mean``, ``std``
            and ``forward(x)`` returning logits ``(N, C, h, w)`` of the
            input's size, e.g. :class:`~sparsemask.links.SparseMask`.
        img (numpy.ndarray): a CHW RGB image, values in [0, 255].
        scales (sequence of float): the input scales.
        flip (bool): also predict the mirrored image.
        pad_to (tuple of ints): ``(height, width)`` to pad the input to at
            least; ``None`` for no padding.

    Returns:
        numpy.ndarray: float32 probabilities ``(C, H, W)``; for a model
        with one output channel (saliency, edges) the sigmoid instead of
        the softmax, ``(1, H, W)``.

    """
    if not scales:
        raise ValueError('scales must hold at least one scale')
    if any(s <= 0 for s in scales):
        raise ValueError('scales must be > 0, not {}'.format(list(scales)))
    img = numpy.asarray(img, dtype=numpy.float32)
    size = img.shape[1:]
    xp = model.xp
    mean = numpy.asarray(model.mean, dtype=numpy.float32)
    std = numpy.asarray(model.std, dtype=numpy.float32)
    total = None
    n = 0
    for scale in scales:
        scaled = _scaled_size(size, scale)
        if scaled != size:
            with pil_backend():
                x = resize(img, scaled)
        else:
            x = img
        x = (x - mean) / std
        # centred, as the authors' code pads (half before, half after)
        padded = _pad_size(scaled, pad_to)
        top = (padded[0] - scaled[0]) // 2
        left = (padded[1] - scaled[1]) // 2
        if padded != scaled:
            x = numpy.pad(x, ((0, 0),
                              (top, padded[0] - scaled[0] - top),
                              (left, padded[1] - scaled[1] - left)))
        batch = [x]
        if flip:
            batch.append(x[:, :, ::-1])
        batch = xp.asarray(numpy.stack(batch))
        with chainer.using_config('train', False), \
                chainer.using_config('enable_backprop', False):
            logits = model.forward(batch)
            logits = logits[:, :, top:top + scaled[0], left:left + scaled[1]]
            if flip:
                logits = F.concat(
                    (logits[:1], logits[1:, :, :, ::-1]), axis=0)
            if scaled != size:
                logits = resize_bilinear(logits, size)
            if logits.shape[1] == 1:
                prob = F.sigmoid(logits).array.sum(axis=0)
            else:
                prob = F.softmax(logits, axis=1).array.sum(axis=0)
        total = prob if total is None else total + prob
        n += len(batch)
    return chainer.backends.cuda.to_cpu(total / n).astype(numpy.float32)
