"""A synthetic semantic segmentation data set, generated on the fly."""

import numpy

from sparsemask.datasets._synthetic import cast_background
from sparsemask.datasets._synthetic import disc_or_rectangle
from sparsemask.datasets._synthetic import SyntheticDataset


class SyntheticSegmentationDataset(SyntheticDataset):
    """A segmentation data set generated on the fly, for the demo and tests.

    Each image shows a background of one of two *scenes* and one to four
    objects (discs and rectangles of random size, position and colour, later
    ones occluding earlier ones). An object's class needs two cues that
    live at opposite ends of the encoder:

    * a **fine texture**: stripes with a period of 2 pixels, horizontal or
      vertical. Averaging 2x2 pixels (the first stride-2 layer) removes it,
      so only the finest features can see it;
    * the **scene**: a faint colour tint of the whole background (red or
      blue shift of ``tint``, under pixel noise of std ``noise``): a pixel
      or a 2x2 patch tells it little better than chance (about 75% for a
      2x2 patch), an 8x8 patch well and the whole background surely. Objects
      hide the background under them, so labelling an object's pixels needs
      context from around it.

    The class of an object is ``1 + texture + 2 * scene`` (0 is the
    background), so the 5 classes are only separable by fusing fine detail
    with global context, which is what a multi-scale decoder is for. The
    object colours are random and carry no information.

    Example ``i`` is a pure function of ``(seed, i)``; a different seed
    gives a different data set (the demo uses ``seed`` for training and
    ``seed + 1`` for validation). Generating a 64x64 example takes about
    0.9 ms on one CPU core.

    Args:
        n_images (int): the length.
        size (tuple of int): ``(H, W)``.
        seed (int): the seed.
        tint (float): the scene cue's amplitude.
        noise (float): the std of the background's pixel noise.

    An example is ``(img, label)``: a float32 RGB image :math:`(3, H, W)`
    in :math:`[0, 255]` and int32 labels :math:`(H, W)` in :math:`[0, 4]`.

    """

    n_class = 5
    label_names = ('background', 'stripes-h/scene-a', 'stripes-v/scene-a',
                   'stripes-h/scene-b', 'stripes-v/scene-b')

    def __init__(self, n_images, size=(64, 64), seed=0, tint=6.0,
                 noise=24.0):
        super(SyntheticSegmentationDataset, self).__init__(
            n_images, size, seed)
        self.tint = float(tint)
        self.noise = float(noise)

    def _generate_example(self, i):
        rng = self._rng(i)
        H, W = self.size
        scene, img = cast_background(rng, (H, W), self.tint, self.noise)
        label = numpy.zeros((H, W), dtype=numpy.int32)
        yy, xx = numpy.mgrid[:H, :W]  # integers: the stripes are faster
        side = min(H, W)
        for _ in range(rng.randint(1, 5)):
            texture = rng.randint(2)
            radius = rng.uniform(0.1, 0.4) * side / 2 + 3
            cy, cx = rng.uniform(0, H), rng.uniform(0, W)
            mask = disc_or_rectangle(rng, yy, xx, cy, cx, radius, (0.6, 1.4))
            colour = rng.uniform(60, 195, (3, 1, 1))
            phase = rng.randint(2)
            stripes = ((yy if texture == 0 else xx) + phase) % 2 * 2 - 1
            obj = colour + 40 * stripes + rng.normal(0, 6, (3, H, W))
            img[:, mask] = obj[:, mask]
            label[mask] = 1 + texture + 2 * scene
        img = numpy.clip(img, 0, 255).astype(numpy.float32)
        return img, label
