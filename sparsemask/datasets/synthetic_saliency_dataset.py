"""A synthetic salient object detection data set, generated on the fly."""

import colorsys

import numpy

import chainer


class SyntheticSaliencyDataset(chainer.dataset.DatasetMixin):
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

    This data set returns the following data.

    .. csv-table::
        :header: name, shape, dtype, format

        :obj:`img`, ":math:`(3, H, W)`", :obj:`float32`, \
        "RGB, :math:`[0, 255]`"
        :obj:`label`, ":math:`(H, W)`", :obj:`int32`, \
        ":math:`\\{0, 1\\}`"

    """

    n_class = 2
    label_names = ('background', 'salient')

    def __init__(self, n_images, size=(64, 64), seed=0, noise=10.0):
        self.n_images = int(n_images)
        self.size = tuple(int(s) for s in size)
        self.seed = int(seed)
        self.noise = float(noise)

    def __len__(self):
        return self.n_images

    def get_example(self, i):
        """Returns the ``i``-th example.

        Args:
            i (int): the index.

        Returns:
            tuple: a float32 CHW RGB image in [0, 255] and an int32 label
            map, 1 on the salient objects and 0 elsewhere.

        """
        if not 0 <= i < self.n_images:
            raise IndexError('index {} out of range for {} images'.format(
                i, self.n_images))
        rng = numpy.random.RandomState([self.seed, int(i)])
        H, W = self.size
        yy, xx = numpy.mgrid[:H, :W].astype(numpy.float64)
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
    radius = max(radius, 2.5)
    cy, cx = rng.uniform(0.15, 0.85) * H, rng.uniform(0.15, 0.85) * W
    if rng.randint(2):
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2
    ry = radius * rng.uniform(0.6, 1.4)
    return (numpy.abs(yy - cy) <= ry) & (numpy.abs(xx - cx) <= radius)
