"""The synthetic segmentation benchmark of the CPU Table 1."""

import numpy

from sparsemask.datasets._synthetic import cast_background
from sparsemask.datasets._synthetic import disc_or_rectangle
from sparsemask.datasets._synthetic import SyntheticDataset


class SyntheticBenchmarkDataset(SyntheticDataset):
    """A segmentation benchmark that every decoder family can learn, made
    so that the families differ for a reason one can state.

    Each image (96x96 by default) shows a *scene* and one to three objects
    (discs and rectangles 32 to 56 pixels across at 96x96, later ones
    occluding earlier ones). An object's class is ``1 + texture + 2 *
    scene`` (0 is the background), which needs two cues at opposite ends
    of the encoder:

    * a **fine texture**: stripes of period 2 pixels, horizontal or
      vertical, of amplitude ``stripes`` on the object's random colour.
      Only the first (stride-2) convolution sees them; an object's outline
      is sharp, so its pixels are told apart from the background's at full
      resolution only;
    * the **scene**: a strong colour cast of the whole background (red or
      blue, ``tint`` on the red and blue channels against a pixel noise of
      ``noise``): every background pixel shows it, but an object's own
      pixels do not (its colour is random), so labelling the middle of an
      object needs context from 16 to 28 pixels away, which only the
      deeper stages (stride 8 and more) have.

    What a decoder needs, then: the stride-32 features alone (FCN) see the
    scene but place the outlines 32 pixels at a time and see the stripes
    only through a 3x3 map; the finest stages alone see the stripes and
    the outlines but not the scene; a decoder that fuses both (U-Net, an
    FDN) can learn everything, if it carries the context far enough: a
    U-Net passes it through eight stages in a row, which needs a decoder
    depth of 32 channels at 300 iterations (at 16 its object pixels get
    the scene right about half the time, by chance). No augmentation is
    needed (rescaling would blur the stripes away).

    Example ``i`` is a pure function of ``(seed, i)``. The ``train``,
    ``val`` and ``test`` splits of ``dataset.name: benchmark`` use the
    seeds ``seed``, ``seed + 1`` and ``seed + 2``.

    Args:
        n_images (int): the length.
        size (tuple of int): ``(H, W)``.
        seed (int): the seed.
        tint (float): the scene's colour cast.
        noise (float): the std of the background's pixel noise.
        stripes (float): the texture's amplitude.

    An example is ``(img, label)``: a float32 RGB image :math:`(3, H, W)`
    in :math:`[0, 255]` and int32 labels :math:`(H, W)` in :math:`[0, 4]`.

    """

    n_class = 5
    label_names = ('background', 'stripes-h/scene-a', 'stripes-v/scene-a',
                   'stripes-h/scene-b', 'stripes-v/scene-b')

    def __init__(self, n_images, size=(96, 96), seed=0, tint=40.0,
                 noise=24.0, stripes=40.0):
        super(SyntheticBenchmarkDataset, self).__init__(n_images, size, seed)
        self.tint = float(tint)
        self.noise = float(noise)
        self.stripes = float(stripes)

    @staticmethod
    def image_labels(label):
        """The image-level labels of a label map (for pretraining).

        Args:
            label (numpy.ndarray): int32 labels ``(H, W)`` of an example.

        Returns:
            tuple: ``(scene, texture)``: the scene (int32, 0 or 1; 0 when
            no object is visible) and whether each texture is visible
            (int32 ``(2,)``).

        """
        classes = numpy.unique(label)
        classes = classes[classes > 0] - 1
        scene = numpy.int32(classes[0] // 2 if len(classes) else 0)
        texture = numpy.zeros(2, dtype=numpy.int32)
        texture[classes % 2] = 1
        return scene, texture

    def _generate_example(self, i):
        rng = self._rng(i)
        H, W = self.size
        scene, img = cast_background(rng, (H, W), self.tint, self.noise)
        label = numpy.zeros((H, W), dtype=numpy.int32)
        yy, xx = numpy.mgrid[:H, :W]
        side = min(H, W)
        for _ in range(rng.randint(1, 4)):
            texture = rng.randint(2)
            # 32 to 56 pixels across at 96x96
            radius = rng.uniform(1. / 6, 7. / 24) * side
            cy = rng.uniform(radius / 2, H - radius / 2)
            cx = rng.uniform(radius / 2, W - radius / 2)
            mask = disc_or_rectangle(rng, yy, xx, cy, cx, radius, (0.7, 1.3))
            colour = rng.uniform(60, 195, (3, 1, 1))
            phase = rng.randint(2)
            stripes = ((yy if texture == 0 else xx) + phase) % 2 * 2 - 1
            obj = colour + self.stripes * stripes + \
                rng.normal(0, 6, (3, H, W))
            img[:, mask] = obj[:, mask]
            label[mask] = 1 + texture + 2 * scene
        img = numpy.clip(img, 0, 255).astype(numpy.float32)
        return img, label
