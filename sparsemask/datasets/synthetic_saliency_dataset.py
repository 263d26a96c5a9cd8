"""A synthetic salient object detection data set, generated on the fly."""

import colorsys

import numpy

from sparsemask.datasets._synthetic import disc_or_rectangle
from sparsemask.datasets._synthetic import SyntheticDataset


class SyntheticSaliencyDataset(SyntheticDataset):
    """A saliency data set generated on the fly, for the demo and tests.

    Each image shows a cluttered background (a grey level with a random
    gradient and a faint per-channel tint), two to five *distractors*
    (discs and rectangles of nearly grey colours, darker or brighter than
    the background) and one or two *salient objects* drawn last, on top:
    discs and rectangles of strongly saturated colours (HSV saturation 0.7
    to 1, value 0.6 to 1). Pixel noise (std ``noise``, independent per
    channel) covers everything. The label is 1 on the salient objects and
    0 elsewhere.

    What tells a salient object is its colour contrast: its channels
    differ by more than 100 levels, where the background's and
    distractors' differ by noise and a tint of at most 24 levels. The
    brightness carries no information (distractors span the same range),
    so a model has to learn colour contrast, helped by context near the
    objects' outlines where noise blurs single pixels.

    Example ``i`` is a pure function of ``(seed, i)``; a different seed
    gives a different data set. Generating a 64x64 example takes about a
    millisecond on one CPU core.

    Args:
        n_images (int): the length.
        size (tuple of int): ``(H, W)``.
        seed (int): the seed.
        noise (float): the std of the pixel noise.

    An example is ``(img, label)``: a float32 RGB image :math:`(3, H, W)`
    in :math:`[0, 255]` and an int32 map :math:`(H, W)`, 1 on the salient
    objects and 0 elsewhere.

    """

    n_class = 2
    label_names = ('background', 'salient')

    def __init__(self, n_images, size=(64, 64), seed=0, noise=10.0):
        super(SyntheticSaliencyDataset, self).__init__(n_images, size, seed)
        self.noise = float(noise)

    def _generate_example(self, i):
        rng = self._rng(i)
        H, W = self.size
        yy, xx = self._grid()
        side = min(H, W)

        # background: a grey level, a gradient, a faint tint
        grey = rng.uniform(70, 190) + rng.uniform(-40, 40) * (yy / H - 0.5) \
            + rng.uniform(-40, 40) * (xx / W - 0.5)
        img = grey[None] + rng.uniform(-8, 8, (3, 1, 1))

        # distractors: nearly grey shapes, darker or brighter
        for _ in range(rng.randint(2, 6)):
            mask = _shape(rng, yy, xx, H, W, rng.uniform(0.08, 0.25) * side)
            colour = rng.uniform(30, 225) + rng.uniform(-12, 12, (3, 1))
            img[:, mask] = colour

        # salient objects: saturated colours, on top
        label = numpy.zeros((H, W), dtype=numpy.int32)
        for _ in range(rng.randint(1, 3)):
            mask = _shape(rng, yy, xx, H, W, rng.uniform(0.12, 0.3) * side)
            rgb = colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.7, 1),
                                      rng.uniform(0.6, 1))
            img[:, mask] = 255 * numpy.array(rgb)[:, None]
            label[mask] = 1

        img += rng.normal(0, self.noise, img.shape)
        img = numpy.clip(img, 0, 255).astype(numpy.float32)
        return img, label


def _shape(rng, yy, xx, H, W, radius):
    # a disc or a rectangle of about ``radius``, its centre in the image
    cy, cx = rng.uniform(0.15, 0.85) * H, rng.uniform(0.15, 0.85) * W
    return disc_or_rectangle(rng, yy, xx, cy, cx, max(radius, 2.5),
                             (0.6, 1.4))
