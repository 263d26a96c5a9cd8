"""ADE20K (MIT Scene Parsing Benchmark, ADEChallengeData2016)."""

import glob
import os

from chainercv.datasets import ade20k_semantic_segmentation_label_names

from sparsemask.datasets._files import check_dir
from sparsemask.datasets._files import check_split
from sparsemask.datasets._files import read_label_file
from sparsemask.datasets._files import resolve_dir
from sparsemask.datasets._image_label_dataset import ImageLabelDataset


ADE20K_HOW = (
    'Download the ADE20K scene parsing benchmark from http://data.csail.mit'
    '.edu/places/ADEchallenge/ADEChallengeData2016.zip, extract it and pass '
    'its ADEChallengeData2016 folder (it holds images/ and annotations/).')

_FOLDERS = {'train': 'training', 'val': 'validation'}


class ADE20KSemanticSegmentationDataset(ImageLabelDataset):
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

    An example is ``(img, label)``, read and checked as
    :class:`~sparsemask.datasets._image_label_dataset.ImageLabelDataset`
    says: a float32 RGB image :math:`(3, H, W)` in :math:`[0, 255]` and
    int32 labels :math:`(H, W)` in :math:`[-1, 149]`.

    Raises:
        FileNotFoundError: in ``__init__``, if ``data_dir`` or its
            ``images/<folder>`` or ``annotations/<folder>`` is missing;
            the message says where to download ADE20K and which folder to
            pass.
        OSError: reading an example, if its image or annotation file is
            unreadable (one line naming the file).
        ValueError: reading an example, if the annotation's size differs
            from its image's or it holds raw values outside [0, 150].

    """

    n_class = 150
    label_names = ade20k_semantic_segmentation_label_names

    def __init__(self, data_dir, split='train'):
        super(ADE20KSemanticSegmentationDataset, self).__init__()
        sub = _FOLDERS[check_split(split, _FOLDERS, 'ADE20K')]
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

    def _read_label(self, path, image_path):
        # raw values 0..150, 0 = unlabelled; no raw ignore value: 0 - 1 = -1
        label = read_label_file(path, self.n_class + 1, ignore=None,
                                image_path=image_path)
        return label - 1
