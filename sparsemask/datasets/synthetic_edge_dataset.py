"""A synthetic edge detection data set with several annotators."""

import numpy

from sparsemask.datasets._edge_label import check_eta
from sparsemask.datasets._edge_label import edge_label
from sparsemask.datasets._synthetic import disc_or_rectangle
from sparsemask.datasets._synthetic import SyntheticDataset


class SyntheticEdgeDataset(SyntheticDataset):
    """An edge data set generated on the fly, for the demo and tests.

    Each image is piecewise constant: a background of a random colour and
    two to six regions (discs and rectangles, later ones occluding earlier
    ones), each of a colour that differs from the colour it is drawn over
    by a random *contrast* (up to 100 levels per channel, so some outlines
    are faint), plus a faint texture (a sinusoid of amplitude 3) and pixel
    noise (std ``noise``). The boundaries are the pixels where the region
    map differs from its right or lower neighbour.

    Like BSDS500, each image has the boundary maps of several annotators,
    which differ: for each pair of touching regions, an annotator draws
    their common boundary with probability ``min(1, c / 48)``, where ``c``
    is the pair's contrast (the largest difference of their colours over
    the channels). A boundary of contrast 48 or more is drawn by every
    annotator, a faint one by few or none. :meth:`get_boundaries` returns
    the maps and the label is computed from them by the rule of
    :class:`~sparsemask.datasets.BSDS500EdgeDataset` (HED's and RCF's):
    with ``p`` the fraction of annotators that drew a pixel, 1 where
    ``p >= eta``, 0 where ``p == 0`` and -1 (ignored) in between.

    Example ``i`` is a pure function of ``(seed, i)``; a different seed
    gives a different data set.

    Args:
        n_images (int): the length.
        size (tuple of int): ``(H, W)``.
        seed (int): the seed.
        n_annotators (int): the number of boundary maps per image.
        eta (float): the agreement threshold of the label, in (0, 1].
        noise (float): the std of the pixel noise.

    An example is ``(img, label)``: a float32 RGB image :math:`(3, H, W)`
    in :math:`[0, 255]` and its int32 edge label :math:`(H, W)`: 1 (edge),
    0 (non-edge) or -1 (ignored).

    """

    n_class = 2
    label_names = ('non-edge', 'edge')

    #: The contrast at and above which every annotator draws a boundary.
    full_contrast = 48.0

    def __init__(self, n_images, size=(64, 64), seed=0, n_annotators=3,
                 eta=0.5, noise=6.0):
        super(SyntheticEdgeDataset, self).__init__(n_images, size, seed)
        self.n_annotators = int(n_annotators)
        if self.n_annotators < 1:
            raise ValueError('n_annotators must be at least 1, not '
                             '{!r}'.format(n_annotators))
        self.eta = check_eta(eta)
        self.noise = float(noise)

    def get_boundaries(self, i):
        """The annotators' boundary maps of the ``i``-th image.

        Args:
            i (int): the index.

        Returns:
            list of numpy.ndarray: ``n_annotators`` uint8 maps of shape
            ``(H, W)``, 1 on the boundaries an annotator drew.

        """
        return self._generate(i)[1]

    def _generate_example(self, i):
        img, boundaries = self._generate(i)
        return img, edge_label(boundaries, self.eta)

    def _generate(self, i):
        rng = self._rng(i)
        H, W = self.size
        yy, xx = self._grid()
        side = min(H, W)

        n_regions = 1 + rng.randint(2, 7)
        colours = numpy.empty((n_regions, 3))
        colours[0] = rng.uniform(40, 215, 3)
        regions = numpy.zeros((H, W), dtype=numpy.intp)
        for k in range(1, n_regions):
            radius = max(rng.uniform(0.1, 0.35) * side, 2.5)
            cy, cx = rng.uniform(0, H), rng.uniform(0, W)
            mask = disc_or_rectangle(rng, yy, xx, cy, cx, radius, (0.5, 1.5))
            # the colour differs from the one under the centre by a random
            # contrast, some faint
            under = colours[regions[int(min(cy, H - 1)), int(min(cx, W - 1))]]
            contrast = rng.uniform(2, 100)
            colours[k] = numpy.clip(
                under + contrast * rng.choice((-1, 1), 3) *
                rng.uniform(0.3, 1, 3), 0, 255)
            regions[mask] = k

        fy, fx, phase = rng.uniform(-0.2, 0.2, 2).tolist() + [rng.uniform()]
        texture = 3 * numpy.sin(2 * numpy.pi * (fy * yy + fx * xx + phase))
        img = colours[regions].transpose(2, 0, 1) + texture + \
            rng.normal(0, self.noise, (3, H, W))
        img = numpy.clip(img, 0, 255).astype(numpy.float32)

        # the probability that an annotator draws the boundary of a pair
        contrast = numpy.abs(colours[:, None] - colours[None]).max(axis=2)
        p_draw = numpy.minimum(1, contrast / self.full_contrast)
        right = regions[:, :-1] != regions[:, 1:]
        down = regions[:-1] != regions[1:]
        boundaries = []
        for _ in range(self.n_annotators):
            drawn = rng.uniform(size=p_draw.shape) < p_draw
            drawn = numpy.triu(drawn, 1)
            drawn |= drawn.T
            b = numpy.zeros((H, W), dtype=numpy.uint8)
            b[:, :-1] |= right & drawn[regions[:, :-1], regions[:, 1:]]
            b[:-1] |= down & drawn[regions[:-1], regions[1:]]
            boundaries.append(b)
        return img, boundaries
