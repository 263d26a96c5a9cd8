"""The base of the synthetic data sets, generated on the fly."""

import numpy

from chainercv.chainer_experimental.datasets.sliceable import GetterDataset


class SyntheticDataset(GetterDataset):
    """A data set whose example ``i`` is a pure function of ``(seed, i)``.

    A subclass draws an example in ``_generate_example(i)`` from
    :meth:`_rng` and returns ``(img, label)``: a float32 CHW RGB image in
    :math:`[0, 255]` of :math:`(3, H, W)` = ``(3,) + size`` and an int32
    label of :math:`(H, W)`.

    Args:
        n_images (int): the length.
        size (tuple of int): ``(H, W)``.
        seed (int): the seed; a different seed gives a different data set.

    """

    def __init__(self, n_images, size, seed):
        super(SyntheticDataset, self).__init__()
        self.n_images = int(n_images)
        self.size = tuple(int(s) for s in size)
        self.seed = int(seed)
        self.add_getter(('img', 'label'), self._generate_example)

    def __len__(self):
        return self.n_images

    def _rng(self, i):
        """The random state of example ``i``.

        Raises:
            IndexError: if ``i`` is not in ``[0, n_images)``.

        """
        if not 0 <= i < self.n_images:
            raise IndexError('index {} out of range for {} images'.format(
                i, self.n_images))
        return numpy.random.RandomState([self.seed, int(i)])

    def _grid(self):
        """The float64 row and column of every pixel, each ``(H, W)``."""
        H, W = self.size
        return numpy.mgrid[:H, :W].astype(numpy.float64)

    def _generate_example(self, i):
        raise NotImplementedError


def disc_or_rectangle(rng, yy, xx, cy, cx, radius, aspect):
    """A disc or a rectangle around ``(cy, cx)``, the shape drawn by ``rng``.

    Args:
        rng (numpy.random.RandomState): draws the shape (one integer) and,
            for a rectangle, its height (one uniform).
        yy, xx (numpy.ndarray): the row and column of every pixel.
        cy, cx (float): the centre.
        radius (float): the disc's radius, the rectangle's half width.
        aspect (tuple of float): the range of the rectangle's half height
            over its half width.

    Returns:
        numpy.ndarray: the boolean mask of the shape.

    """
    if rng.randint(2):
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2
    ry = radius * rng.uniform(*aspect)
    return (numpy.abs(yy - cy) <= ry) & (numpy.abs(xx - cx) <= radius)


def cast_background(rng, size, tint, noise):
    """A noisy grey background with the colour cast of one of two scenes.

    Args:
        rng (numpy.random.RandomState): draws the scene (one integer), then
            the noise.
        size (tuple of int): ``(H, W)``.
        tint (float): the cast: ``+tint`` on red and ``-tint`` on blue for
            scene 0, the opposite for scene 1.
        noise (float): the std of the pixel noise around 128.

    Returns:
        tuple: ``(scene, img)``: 0 or 1, and a float64 ``(3, H, W)`` image.

    """
    scene = rng.randint(2)
    shift = tint if scene == 0 else -tint
    img = 128 + rng.normal(0, noise, (3,) + tuple(size))
    img[0] += shift
    img[2] -= shift
    return scene, img
