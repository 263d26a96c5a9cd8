"""The Semantic Boundaries Dataset (SBD) as a semantic segmentation set."""

import os

from chainercv.chainer_experimental.datasets.sliceable import GetterDataset
from chainercv.datasets import voc_semantic_segmentation_label_names

from sparsemask.datasets._data_dir import check_dir
from sparsemask.datasets._data_dir import check_label
from sparsemask.datasets._data_dir import read_ids
from sparsemask.datasets._data_dir import read_image_file
from sparsemask.datasets._data_dir import resolve_dir
from sparsemask.datasets._data_dir import unreadable_file_error


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


class SBDSemanticSegmentationDataset(GetterDataset):
    """Class segmentations of the Semantic Boundaries Dataset.

    SBD (Hariharan et al., ICCV 2011) annotates 11,355 PASCAL VOC 2011
    images with the 20 VOC classes plus background; ``train`` has 8,498
    images and ``val`` 2,857. Images are ``img/<id>.jpg``, labels the
    ``GTcls.Segmentation`` field of ``cls/<id>.mat``.

    Args:
        data_dir (str): the ``benchmark_RELEASE/dataset`` folder (the
            parent ``benchmark_RELEASE`` is accepted too).
        split ({'train', 'val'}): the split (``<data_dir>/<split>.txt``).

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
    Reading a label checks that it has the size of its image (read from the
    image's header) and holds class indices only.

    Raises:
        FileNotFoundError: in ``__init__``, if ``data_dir`` or one of its
            ``img/``, ``cls/`` or ``<split>.txt`` is missing; the message
            says where to download SBD and which folder to pass.
        OSError: reading an example, if its image or label file is
            missing, empty, truncated or otherwise unreadable; one line
            that names the file.
        ValueError: reading an example, if the label's size differs from
            its image's (one line naming both files and both sizes) or the
            label holds values outside the classes (naming the file).

    """

    n_class = 21
    label_names = voc_semantic_segmentation_label_names

    def __init__(self, data_dir, split='train'):
        super(SBDSemanticSegmentationDataset, self).__init__()
        if split not in ('train', 'val'):
            raise ValueError("SBD split must be 'train' or 'val', not "
                             "{!r}".format(split))
        self.data_dir = check_dir(resolve_dir(data_dir, 'dataset'), 'SBD',
                                  SBD_HOW, ('img', 'cls', split + '.txt'))
        self.ids = read_ids(os.path.join(self.data_dir, split + '.txt'))
        self.add_getter('img', self._get_image)
        self.add_getter('label', self._get_label)

    def __len__(self):
        return len(self.ids)

    def _image_path(self, i):
        return os.path.join(self.data_dir, 'img', self.ids[i] + '.jpg')

    def _get_image(self, i):
        return read_image_file(self._image_path(i))

    def _get_label(self, i):
        return read_sbd_label(
            os.path.join(self.data_dir, 'cls', self.ids[i] + '.mat'),
            self.n_class, image_path=self._image_path(i))
