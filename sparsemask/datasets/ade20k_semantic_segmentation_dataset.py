"""ADE20K (MIT Scene Parsing Benchmark, ADEChallengeData2016)."""

import glob
import os

from chainercv.chainer_experimental.datasets.sliceable import GetterDataset
from chainercv.datasets import ade20k_semantic_segmentation_label_names

from sparsemask.datasets._data_dir import check_dir
from sparsemask.datasets._data_dir import read_image_file
from sparsemask.datasets._data_dir import read_label_file
from sparsemask.datasets._data_dir import resolve_dir


ADE20K_HOW = (
    'Download the ADE20K scene parsing benchmark from http://data.csail.mit'
    '.edu/places/ADEchallenge/ADEChallengeData2016.zip, extract it and pass '
    'its ADEChallengeData2016 folder (it holds images/ and annotations/).')

_FOLDERS = {'train': 'training', 'val': 'validation'}


class ADE20KSemanticSegmentationDataset(GetterDataset):
    """ADE20K scene parsing, 150 classes, read as ChainerCV reads it.

    The labels follow ChainerCV 0.13.1's
    :class:`chainercv.datasets.ADE20KSemanticSegmentationDataset`: the raw
    annotation value 0 (unlabelled) becomes -1 (ignore) and the value
    ``k`` in 1..150 becomes class ``k - 1``. Unlike ChainerCV's loader,
    this one never downloads, takes the data folder explicitly, pairs
    every image with the annotation of the same name, and raises errors
    that name the file of an unreadable image or annotation and of raw
    values outside [0, 150].

    Args:
        data_dir (str): the ``ADEChallengeData2016`` folder (or its parent,
            the folder ChainerCV's loader takes).
        split ({'train', 'val'}): ``'train'`` (``images/training``, 20,210
            images) or ``'val'`` (``images/validation``, 2,000 images).

    This data set returns the following data.

    .. csv-table::
        :header: name, shape, dtype, format

        :obj:`img`, ":math:`(3, H, W)`", :obj:`float32`, \
        "RGB, :math:`[0, 255]`"
        :obj:`label`, ":math:`(H, W)`", :obj:`int32`, \
        ":math:`[-1, \\#class - 1]`"

    Images are read as by :func:`chainercv.utils.read_image` (PIL
    backend), greyscale and palette ones converted to RGB; an RGBA image is
    read as RGB by dropping its alpha channel, as OpenCV's ``imread`` does.
    Reading an annotation checks that it has the size of its image (read
    from the image's header).

    Raises:
        FileNotFoundError: in ``__init__``, if ``data_dir`` or its
            ``images/<folder>`` or ``annotations/<folder>`` is missing;
            the message says where to download ADE20K and which folder to
            pass.
        OSError: reading an example, if its image or annotation file is
            missing, empty, truncated or otherwise unreadable; one line
            that names the file.
        ValueError: reading an example, if the annotation's size differs
            from its image's (one line naming both files and both sizes)
            or it holds raw values outside [0, 150] (naming the file).

    """

    n_class = 150
    label_names = ade20k_semantic_segmentation_label_names

    def __init__(self, data_dir, split='train'):
        super(ADE20KSemanticSegmentationDataset, self).__init__()
        if split not in _FOLDERS:
            raise ValueError("ADE20K split must be 'train' or 'val', not "
                             "{!r}".format(split))
        sub = _FOLDERS[split]
        self.data_dir = check_dir(
            resolve_dir(data_dir, 'ADEChallengeData2016'), 'ADE20K',
            ADE20K_HOW,
            (os.path.join('images', sub), os.path.join('annotations', sub)))
        self.img_paths = sorted(glob.glob(os.path.join(
            self.data_dir, 'images', sub, '*.jpg')))
        self.ids = [os.path.splitext(os.path.basename(p))[0]
                    for p in self.img_paths]
        self.label_paths = [
            os.path.join(self.data_dir, 'annotations', sub, i + '.png')
            for i in self.ids]
        self.add_getter('img', self._get_image)
        self.add_getter('label', self._get_label)

    def __len__(self):
        return len(self.img_paths)

    def _get_image(self, i):
        return read_image_file(self.img_paths[i])

    def _get_label(self, i):
        # raw values 0..150, 0 = unlabelled; no raw ignore value: 0 - 1 = -1
        label = read_label_file(self.label_paths[i], self.n_class + 1,
                                ignore=None, image_path=self.img_paths[i])
        return label - 1
