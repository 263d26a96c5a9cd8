"""The Semantic Boundaries Dataset (SBD) as a semantic segmentation set."""

import os

from chainercv.chainer_experimental.datasets.sliceable import GetterDataset
from chainercv.datasets import voc_semantic_segmentation_label_names

from sparsemask.datasets._data_dir import check_dir
from sparsemask.datasets._data_dir import check_label
from sparsemask.datasets._data_dir import read_ids
from sparsemask.datasets._data_dir import read_image_file
from sparsemask.datasets._data_dir import resolve_dir


SBD_HOW = (
    'Download the Semantic Boundaries Dataset from http://www.eecs.berkeley'
    '.edu/Research/Projects/CS/vision/grouping/semantic_contours/'
    'benchmark.tgz, extract it and pass its benchmark_RELEASE/dataset '
    'folder (it holds img/, cls/, train.txt and val.txt).')


def read_sbd_label(path, n_class=21):
    """Reads the segmentation of an SBD ``cls/<id>.mat`` file.

    Args:
        path (str): the ``.mat`` file (a MATLAB struct ``GTcls`` with the
            fields ``Segmentation``, ``Boundaries`` and
            ``CategoriesPresent``).
        n_class (int): the number of classes.

    Returns:
        numpy.ndarray: int32 labels of shape ``(H, W)``, -1 where the file
        has 255.

    Raises:
        IOError: naming an unreadable ``path``.
        ValueError: naming ``path`` and values outside ``[0, n_class)``
            that are not 255.

    """
    import scipy.io
    try:
        mat = scipy.io.loadmat(path, squeeze_me=True,
                               struct_as_record=False)
        label = mat['GTcls'].Segmentation
    except Exception as e:
        raise IOError('cannot read SBD label {} (expected a .mat file with '
                      'GTcls.Segmentation): {}: {}'.format(
                          path, type(e).__name__, e)) from e
    return check_label(label, n_class, path)


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

    Raises:
        FileNotFoundError: in ``__init__``, if ``data_dir`` or one of its
            ``img/``, ``cls/`` or ``<split>.txt`` is missing; the message
            says where to download SBD and which folder to pass.

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

    def _get_image(self, i):
        return read_image_file(
            os.path.join(self.data_dir, 'img', self.ids[i] + '.jpg'))

    def _get_label(self, i):
        return read_sbd_label(
            os.path.join(self.data_dir, 'cls', self.ids[i] + '.mat'),
            self.n_class)
