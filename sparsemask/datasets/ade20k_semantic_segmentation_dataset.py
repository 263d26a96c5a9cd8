import glob
import os

from chainercv.chainer_experimental.datasets.sliceable import GetterDataset
from chainercv.datasets import ade20k_semantic_segmentation_label_names

from sparsemask.datasets._data_dir import check_dir
from sparsemask.datasets._data_dir import read_image_file
from sparsemask.datasets._data_dir import read_label_file


ADE20K_HOW = (
    'Download the ADE20K scene parsing benchmark from http://data.csail.mit'
    '.edu/places/ADEchallenge/ADEChallengeData2016.zip, extract it and pass '
    'its ADEChallengeData2016 folder (it holds images/ and annotations/).')


class ADE20KSemanticSegmentationDataset(GetterDataset):
    """ADE20K scene parsing (150 classes), as ChainerCV's loader reads it:
    the raw label 0 (unlabelled) becomes -1 (ignore) and label ``k``
    becomes class ``k - 1``. Unlike ChainerCV's, it never downloads, takes
    an explicit directory, and names the file of an unreadable image or a
    label outside [0, 150].

    Args:
        data_dir (str): the ``ADEChallengeData2016`` folder (or its parent,
            which ChainerCV's loader takes).
        split (str): ``'train'`` (20,210 images) or ``'val'`` (2,000).

    This data set returns ``img`` (float32 CHW RGB in [0, 255]) and
    ``label`` (int32, -1 for ignored pixels).

    """

    n_class = 150
    label_names = ade20k_semantic_segmentation_label_names

    def __init__(self, data_dir, split='train'):
        super(ADE20KSemanticSegmentationDataset, self).__init__()
        folders = {'train': 'training', 'val': 'validation'}
        if split not in folders:
            raise ValueError("ADE20K split must be 'train' or 'val', not "
                             "{!r}".format(split))
        sub = folders[split]
        if data_dir is not None and os.path.isdir(os.path.join(
                os.path.expanduser(data_dir), 'ADEChallengeData2016')):
            data_dir = os.path.join(data_dir, 'ADEChallengeData2016')
        self.data_dir = check_dir(
            data_dir, 'ADE20K', ADE20K_HOW,
            (os.path.join('images', sub), os.path.join('annotations', sub)))
        self.img_paths = sorted(glob.glob(os.path.join(
            self.data_dir, 'images', sub, '*.jpg')))
        self.label_paths = [
            os.path.join(self.data_dir, 'annotations', sub,
                         os.path.splitext(os.path.basename(p))[0] + '.png')
            for p in self.img_paths]
        self.add_getter('img', self._get_image)
        self.add_getter('label', self._get_label)

    def __len__(self):
        return len(self.img_paths)

    def _get_image(self, i):
        return read_image_file(self.img_paths[i])

    def _get_label(self, i):
        # raw values 0..150 (0: unlabelled); no raw ignore value
        label = read_label_file(self.label_paths[i], self.n_class + 1,
                                ignore=-1)
        return label - 1
