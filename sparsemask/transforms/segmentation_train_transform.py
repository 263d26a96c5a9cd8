import numpy
import PIL.Image

from chainercv.transforms import resize
from chainercv.transforms import rotate

from sparsemask.utils.pil_backend import pil_backend


class SegmentationTrainTransform(object):
    """The paper's training augmentation: random scale, flip and crop, then
    normalisation by the backbone's mean and std.

    Resizing and rotating use PIL whether or not OpenCV is installed
    (:func:`~sparsemask.utils.pil_backend`). All randomness comes from the
    ``rng`` argument (never from Python's or NumPy's global generators),
    so that a training run is a function of its seeds and can be resumed
    exactly
    (see :class:`sparsemask.datasets.RandomTransformDataset`).

    Args:
        mean (numpy.ndarray): ``(3, 1, 1)`` mean of the backbone's input.
        std (numpy.ndarray): ``(3, 1, 1)`` std.
        crop_size (int or tuple of int): ``(H, W)`` of the output.
        scale_range (tuple of float): the range of the random scale
            (0.5-2.0 in the paper); one factor scales both axes.
        flip (bool): flip left-right with probability 0.5.
        ignore_label (int): the label of padded pixels.
        rotate (bool): also rotate by one of HED's 16 angles (multiples of
            22.5 degrees, each with probability 1/16; HED's augmentation of
            BSDS500), after the scaling: the image bilinearly, the label by
            nearest neighbour, on a canvas that holds the whole rotated
            image, the corners the mean pixel and ignored.

    """

    def __init__(self, mean, std, crop_size, scale_range=(0.5, 2.0),
                 flip=True, ignore_label=-1, rotate=False):
        self.mean = numpy.asarray(mean, dtype=numpy.float32).reshape(3, 1, 1)
        self.std = numpy.asarray(std, dtype=numpy.float32).reshape(3, 1, 1)
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        self.crop_size = tuple(int(s) for s in crop_size)
        self.scale_range = tuple(scale_range)
        if not 0 < self.scale_range[0] <= self.scale_range[1]:
            raise ValueError('scale_range must be (low, high) with '
                             '0 < low <= high, not {}'.format(scale_range))
        self.flip = flip
        self.ignore_label = ignore_label
        self.rotate = rotate

    def __call__(self, in_data, rng):
        """Transforms one example.

        Args:
            in_data (tuple): ``(img, label)``: a float32 CHW RGB image in
                [0, 255] and an int32 label map (-1: ignore).
            rng (numpy.random.RandomState): the randomness.

        Returns:
            tuple: the normalised float32 image and the int32 label, both of
            ``crop_size``.

        """
        with pil_backend():
            return self._transform(in_data, rng)

    def _transform(self, in_data, rng):
        img, label = in_data
        img = numpy.asarray(img, dtype=numpy.float32)
        label = numpy.asarray(label, dtype=numpy.int32)
        H, W = label.shape
        scale = rng.uniform(*self.scale_range)
        size = (max(1, int(round(H * scale))), max(1, int(round(W * scale))))
        if size != (H, W):
            img = resize(img, size, PIL.Image.BILINEAR)
            # shifted so that -1 survives PIL's unsigned label resize
            shifted = (label - self.ignore_label)[None].astype(numpy.float32)
            label = resize(shifted, size, PIL.Image.NEAREST)[0]
            label = numpy.rint(label).astype(numpy.int32) + self.ignore_label
        x = (img - self.mean) / self.std
        if self.rotate:
            # (drawn only when asked: without it, the draws are the same)
            angle = 22.5 * rng.randint(16)
            if angle:
                x, label = self._rotated(x, label, angle)
        ch, cw = self.crop_size
        h, w = label.shape
        ph, pw = max(ch - h, 0), max(cw - w, 0)
        if ph or pw:
            x = numpy.pad(x, ((0, 0), (0, ph), (0, pw)))
            label = numpy.pad(label, ((0, ph), (0, pw)),
                              constant_values=self.ignore_label)
            h, w = label.shape
        top = rng.randint(h - ch + 1)
        left = rng.randint(w - cw + 1)
        x = x[:, top:top + ch, left:left + cw]
        label = label[top:top + ch, left:left + cw]
        if self.flip and rng.randint(2):
            x = x[:, :, ::-1]
            label = label[:, ::-1]
        return (numpy.ascontiguousarray(x, dtype=numpy.float32),
                numpy.ascontiguousarray(label, dtype=numpy.int32))

    def _rotated(self, x, label, angle):
        # counter-clockwise; 0 outside (the mean pixel after normalisation)
        if angle % 90 == 0:
            # exact (an interpolating rotation blurs and pads by a pixel)
            k = int(angle // 90)
            return (numpy.rot90(x, k, axes=(1, 2)),
                    numpy.rot90(label, k))
        x = rotate(x, angle, expand=True, fill=0,
                   interpolation=PIL.Image.BILINEAR)
        shifted = (label - self.ignore_label)[None].astype(numpy.float32)
        label = rotate(shifted, angle, expand=True, fill=0,
                       interpolation=PIL.Image.NEAREST)[0]
        label = numpy.rint(label).astype(numpy.int32) + self.ignore_label
        return x.astype(numpy.float32), label
