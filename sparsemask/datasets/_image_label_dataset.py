"""The base of the data sets of image and label files."""

from chainercv.chainer_experimental.datasets.sliceable import GetterDataset

from sparsemask.datasets._files import read_image_file


class ImageLabelDataset(GetterDataset):
    """A data set of image files and their label files, by id.

    A data set on disk keeps only its layout: its ``__init__`` calls this
    one, checks its data directory and split, and sets ``ids`` and, for
    each id, ``img_paths`` and ``label_paths`` (with the helpers of
    :mod:`sparsemask.datasets._files`); it reads a label with
    :meth:`_read_label`, or overrides :meth:`_get_label` where a label is
    not one file per image. The examples are ``(img, label)``, in
    ChainerCV's :class:`GetterDataset` style: ``dataset.slice[:, 'label']``
    reads the labels without decoding the images.

    * ``img``: float32, :math:`(3, H, W)`, RGB in :math:`[0, 255]`, read as
      by :func:`chainercv.utils.read_image` (PIL backend): greyscale and
      palette images are converted to RGB; an RGBA image is read as RGB by
      dropping its alpha channel, as OpenCV's ``imread`` does.
    * ``label``: int32, :math:`(H, W)`, what the data set's labels hold
      (class indices, -1 where ignored); reading one checks that it has
      the size of its image (read from the image's header).

    Raises:
        OSError: reading an example, if its image or label file is
            missing, empty, truncated or otherwise unreadable; one line
            that names the file.
        ValueError: reading an example, if the label's size differs from
            its image's (one line naming both files and both sizes) or the
            label holds values it may not hold (naming the file).

    """

    def __init__(self):
        super(ImageLabelDataset, self).__init__()
        self.add_getter('img', self._get_image)
        self.add_getter('label', self._get_label)

    def __len__(self):
        return len(self.ids)

    def _get_image(self, i):
        return read_image_file(self.img_paths[i])

    def _get_label(self, i):
        return self._read_label(self.label_paths[i], self.img_paths[i])

    def _read_label(self, path, image_path):
        """Reads and checks the label file ``path`` of ``image_path``."""
        raise NotImplementedError
