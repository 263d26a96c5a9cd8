"""The Semantic Boundaries Dataset (SBD) as a semantic segmentation set."""

import os

from chainercv.datasets import voc_semantic_segmentation_label_names

from sparsemask.datasets._files import check_dir
from sparsemask.datasets._files import check_label
from sparsemask.datasets._files import check_split
from sparsemask.datasets._files import read_ids
from sparsemask.datasets._files import resolve_dir
from sparsemask.datasets._files import unreadable_file_error
from sparsemask.datasets._image_label_dataset import ImageLabelDataset


SBD_HOW = (
    'Download the Semantic Boundaries Dataset from http://www.eecs.berkeley'
    '.edu/Research/Projects/CS/vision/grouping/semantic_contours/'
    'benchmark.tgz, extract it and pass its benchmark_RELEASE/dataset '
    'folder (it holds img/, cls/, train.txt and val.txt).')


def read_sbd_label(path, n_class=21, image_path=None):
    """Reads the segmentation of an SBD ``cls/<id>.mat`` file.

    Args:
        path (str): the ``.mat`` file (a MATLAB struct ``GTcls`` with the
            fields ``Segmentation``, ``Boundaries`` and
            ``CategoriesPresent``).
        n_class (int): the number of classes.
        image_path (str): the image of the label; if given, the label must
            have its size.

    Returns:
        numpy.ndarray: int32 labels of shape ``(H, W)``, -1 where the file
        has 255.

    Raises:
        OSError: one line naming ``path`` if it is missing, empty,
            truncated or has no ``GTcls.Segmentation``, or naming an
            unreadable ``image_path``.
        ValueError: one line naming ``path``: values outside
            ``[0, n_class)`` that are not 255, or, naming ``image_path``
            too, a size other than the image's.

    """
    import scipy.io
    try:
        mat = scipy.io.loadmat(path, squeeze_me=True,
                               struct_as_record=False)
        label = mat['GTcls'].Segmentation
    except Exception as e:
        raise unreadable_file_error(
            'SBD label', path, e,
            expected='a .mat file with GTcls.Segmentation') from e
    return check_label(label, n_class, path, image_path=image_path)


class SBDSemanticSegmentationDataset(ImageLabelDataset):
    """Class segmentations of the Semantic Boundaries Dataset.

    SBD (Hariharan et al., ICCV 2011) annotates 11,355 PASCAL VOC 2011
    images with the 20 VOC classes plus background; ``train`` has 8,498
    images and ``val`` 2,857. Images are ``img/<id>.jpg``, labels the
    ``GTcls.Segmentation`` field of ``cls/<id>.mat``.

    Args:
        data_dir (str): the ``benchmark_RELEASE/dataset`` folder (the
            parent ``benchmark_RELEASE`` is accepted too).
        split ({'train', 'val'}): the split (``<data_dir>/<split>.txt``).

    An example is ``(img, label)``, read and checked as
    :class:`~sparsemask.datasets._image_label_dataset.ImageLabelDataset`
    says: a float32 RGB image :math:`(3, H, W)` in :math:`[0, 255]` and
    int32 labels :math:`(H, W)` in :math:`[-1, 20]` (-1: the border of 255).

    Raises:
        FileNotFoundError: in ``__init__``, if ``data_dir`` or one of its
            ``img/``, ``cls/`` or ``<split>.txt`` is missing; the message
            says where to download SBD and which folder to pass.
        OSError: reading an example, if its image or label file is
            unreadable (one line naming the file).
        ValueError: reading an example, if the label's size differs from
            its image's or it holds values outside the classes.

    """

    n_class = 21
    label_names = voc_semantic_segmentation_label_names

    def __init__(self, data_dir, split='train'):
        super(SBDSemanticSegmentationDataset, self).__init__()
        check_split(split, ('train', 'val'), 'SBD')
        self.data_dir = check_dir(resolve_dir(data_dir, 'dataset'), 'SBD',
                                  SBD_HOW, ('img', 'cls', split + '.txt'))
        self.ids = read_ids(os.path.join(self.data_dir, split + '.txt'))
        self.img_paths = [os.path.join(self.data_dir, 'img', i + '.jpg')
                          for i in self.ids]
        self.label_paths = [os.path.join(self.data_dir, 'cls', i + '.mat')
                            for i in self.ids]

    def _read_label(self, path, image_path):
        return read_sbd_label(path, self.n_class, image_path=image_path)
