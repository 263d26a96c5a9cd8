"""MSRA-B salient object detection, with the split of DRFI and DSS."""

import os

import numpy
import PIL.Image

from sparsemask.datasets._files import check_dir
from sparsemask.datasets._files import check_label_size
from sparsemask.datasets._files import check_split
from sparsemask.datasets._files import missing_files
from sparsemask.datasets._files import missing_files_error
from sparsemask.datasets._files import read_split_list
from sparsemask.datasets._files import resolve_dir
from sparsemask.datasets._files import unreadable_file_error
from sparsemask.datasets._image_label_dataset import ImageLabelDataset


MSRAB_HOW = (
    'Download MSRA-B (images + binary masks) from http://mftp.mmcheng.net/'
    'Data/MSRA-B.zip (linked from https://mmcheng.net/msra10k/), extract it, '
    'put the split lists train_cvpr2013.txt, valid_cvpr2013.txt and '
    'test_cvpr2013.txt of DRFI (https://people.cs.umass.edu/~hzjiang/drfi/) '
    'in its MSRA-B folder and pass that folder (it holds <id>.jpg and '
    '<id>.png side by side, or image/<id>.jpg and annotation/<id>.png).')

#: The split lists, by split.
SPLIT_LISTS = {'train': 'train_cvpr2013.txt', 'val': 'valid_cvpr2013.txt',
               'test': 'test_cvpr2013.txt'}

# PIL modes a mask may have; its first channel (the grey value, the red of
# a palette colour) is thresholded
_MASK_MODES = ('1', 'L', 'LA', 'P', 'PA', 'RGB', 'RGBA')

#: Mask values at or above this are salient.
THRESHOLD = 128


def read_saliency_mask(path, image_path=None):
    """Reads a binary saliency mask as MSRA-B stores it.

    A mask is a PNG of 0 (background) and 255 (salient), saved as
    greyscale, RGB(A) or palette; the first channel of its colours (the
    grey value, the red of an RGB pixel or of a palette entry) is
    thresholded at 128: a palette mask is read by its colours, not its
    indices. (NLDF and DSS-pytorch read one channel too; in black and white
    masks all channels are equal.)

    Args:
        path (str): the mask file.
        image_path (str): the image of the mask; if given, the mask must
            have its size (see :func:`check_label_size`).

    Returns:
        numpy.ndarray: int32 labels of shape ``(H, W)``: 1 where the value
        is at least 128, else 0.

    Raises:
        OSError: one line naming ``path`` if it is missing, empty,
            truncated or otherwise unreadable, or naming an unreadable
            ``image_path``.
        ValueError: one line naming ``path``: an image mode other than
            grey, RGB(A) or palette (16-bit grey, for instance), or,
            naming ``image_path`` too, a size other than the image's.

    """
    try:
        with PIL.Image.open(path) as f:
            mode = f.mode
            if mode in _MASK_MODES:
                f.load()
                if mode in ('1', 'P', 'PA'):
                    f = f.convert('RGB')
                mask = numpy.asarray(f)
    except Exception as e:
        raise unreadable_file_error(
            'mask', path, e, expected='a PNG of 0 and 255') from e
    if mode not in _MASK_MODES:
        raise ValueError(
            'mask {} is an image of mode {}: a saliency mask must be an '
            "8-bit greyscale ('L'), RGB or palette PNG of 0 (background) and "
            '255 (salient)'.format(path, mode))
    if mask.ndim == 3:
        mask = mask[:, :, 0]
    label = (mask >= THRESHOLD).astype(numpy.int32)
    if image_path is not None:
        check_label_size(label, path, image_path)
    return label


class MSRABSaliencyDataset(ImageLabelDataset):
    """MSRA-B salient object detection (Jiang et al., CVPR 2013).

    MSRA-B has 5,000 images, each with a pixel-wise binary mask of its
    salient object. The split is the one of DRFI (Jiang et al., CVPR 2013),
    used by DSS (Hou et al., CVPR 2017) and most saliency work since:
    2,500 training, 500 validation and 2,000 test images, listed in
    ``train_cvpr2013.txt``, ``valid_cvpr2013.txt`` and
    ``test_cvpr2013.txt``, one file name per line (``0_1_1339.jpg``).

    The layout is that of ``MSRA-B.zip`` from https://mmcheng.net/msra10k/
    (the archive DSS points to: one folder of ``<id>.jpg`` images and
    ``<id>.png`` masks), with DRFI's lists put beside them, which the zip
    does not include (see AceCoooool/DSS-pytorch issue #20)::

        MSRA-B/
            train_cvpr2013.txt    2,500 lines such as 0_1_1339.jpg
            valid_cvpr2013.txt      500
            test_cvpr2013.txt     2,000
            <id>.jpg              the images
            <id>.png              the masks, 0 and 255

    The variant of NLDF and DSS-pytorch, with the images in ``image/`` and
    the masks in ``annotation/`` and the lists beside them, is read too.
    A list line may name the image (``.jpg``), the mask (``.png``, as
    NLDF's lists do) or the bare id; blank lines are skipped.

    Args:
        data_dir (str): the ``MSRA-B`` folder (or its parent).
        split ({'train', 'val', 'test'}): the split, read from
            ``train_cvpr2013.txt``, ``valid_cvpr2013.txt`` or
            ``test_cvpr2013.txt``.

    An example is ``(img, label)``, read and checked as
    :class:`~sparsemask.datasets._image_label_dataset.ImageLabelDataset`
    says: a float32 RGB image :math:`(3, H, W)` in :math:`[0, 255]` and its
    int32 mask :math:`(H, W)`, thresholded at 128 on its first channel (see
    :func:`read_saliency_mask`): 1 is salient, 0 background.

    Attributes:
        ids (list of str): the ids of the split, in list order.
        img_paths (list of str): their images.
        label_paths (list of str): their masks.

    Raises:
        FileNotFoundError: in ``__init__``, if ``data_dir`` or the split's
            list is missing (the message says where to get MSRA-B and its
            lists and which folder to pass), or if an id of the list has no
            image or no mask (naming the first missing file).
        ValueError: in ``__init__``, for an unknown split or an empty list;
            reading an example, if the mask's size differs from its image's
            (one line naming both files and both sizes) or the mask is not
            an 8-bit grey, RGB or palette image.
        OSError: reading an example, if its image or mask is empty,
            truncated or otherwise unreadable; one line that names the
            file.

    """

    label_names = ('background', 'salient')
    n_class = 2

    def __init__(self, data_dir, split='train'):
        super(MSRABSaliencyDataset, self).__init__()
        list_name = SPLIT_LISTS[check_split(split, SPLIT_LISTS, 'MSRA-B')]
        self.data_dir = check_dir(resolve_dir(data_dir, 'MSRA-B'), 'MSRA-B',
                                  MSRAB_HOW, (list_name,))
        list_path = os.path.join(self.data_dir, list_name)
        self.ids = read_split_list(list_path, 'the {} images'.format(split))

        image_dir = os.path.join(self.data_dir, 'image')
        label_dir = os.path.join(self.data_dir, 'annotation')
        if not (os.path.isdir(image_dir) and os.path.isdir(label_dir)):
            image_dir = label_dir = self.data_dir
        self.img_paths = [os.path.join(image_dir, i + '.jpg')
                          for i in self.ids]
        self.label_paths = [os.path.join(label_dir, i + '.png')
                            for i in self.ids]
        for what, paths in (('image', self.img_paths),
                            ('mask', self.label_paths)):
            missing = missing_files(paths)
            if missing:
                raise missing_files_error(
                    len(missing), len(paths), list_path, what,
                    '{} does not exist. {}'.format(missing[0], MSRAB_HOW))

    def _read_label(self, path, image_path):
        return read_saliency_mask(path, image_path)
