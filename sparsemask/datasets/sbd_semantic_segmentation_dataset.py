import os

from chainercv.chainer_experimental.datasets.sliceable import GetterDataset
from chainercv.datasets import voc_semantic_segmentation_label_names

from sparsemask.datasets._data_dir import check_dir
from sparsemask.datasets._data_dir import check_label
from sparsemask.datasets._data_dir import read_ids
from sparsemask.datasets._data_dir import read_image_file


SBD_HOW = (
    'Download the Semantic Boundaries Dataset from http://www.eecs.berkeley'
    '.edu/Research/Projects/CS/vision/grouping/semantic_contours/'
    'benchmark.tgz, extract it and pass its benchmark_RELEASE/dataset '
    'folder (it holds img/, cls/, train.txt and val.txt).')


def read_sbd_label(path, n_class=21):
    """Reads the segmentation of an SBD ``cls/<id>.mat`` file.

    Args:
        path (str): the ``.mat`` file (a struct ``GTcls`` with a field
            ``Segmentation``).
        n_class (int): the number of classes.

    Returns:
        numpy.ndarray: int32 labels, -1 where ignored.

    """
    import scipy.io
    try:
        mat = scipy.io.loadmat(path, squeeze_me=True,
                               struct_as_record=False)
        label = mat['GTcls'].Segmentation
    except Exception as e:
        raise IOError('cannot read SBD label {} (expected a .mat file with '
                      'GTcls.Segmentation): {}'.format(path, e)) from e
    return check_label(label, n_class, path)


class SBDSemanticSegmentationDataset(GetterDataset):
    """The Semantic Boundaries Dataset's class segmentations (Hariharan et
    al., 2011): 11,355 VOC 2011 images with 21-class labels.

    Args:
        data_dir (str): the ``benchmark_RELEASE/dataset`` folder (or
            ``benchmark_RELEASE``).
        split (str): ``'train'`` (8,498) or ``'val'`` (2,857).

    This data set returns ``img`` (float32 CHW RGB in [0, 255]) and
    ``label`` (int32, -1 for ignored pixels).

    """

    n_class = 21
    label_names = voc_semantic_segmentation_label_names

    def __init__(self, data_dir, split='train'):
        super(SBDSemanticSegmentationDataset, self).__init__()
        if split not in ('train', 'val'):
            raise ValueError("SBD split must be 'train' or 'val', not "
                             "{!r}".format(split))
        if data_dir is not None and os.path.isdir(
                os.path.join(os.path.expanduser(data_dir), 'dataset', 'cls')):
            data_dir = os.path.join(data_dir, 'dataset')
        self.data_dir = check_dir(data_dir, 'SBD', SBD_HOW,
                                  ('img', 'cls', split + '.txt'))
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
