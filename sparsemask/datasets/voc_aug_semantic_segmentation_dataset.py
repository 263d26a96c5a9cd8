import os

from chainercv.chainer_experimental.datasets.sliceable import GetterDataset
from chainercv.datasets import voc_semantic_segmentation_label_names

from sparsemask.datasets._data_dir import check_dir
from sparsemask.datasets._data_dir import read_ids
from sparsemask.datasets._data_dir import read_image_file
from sparsemask.datasets._data_dir import read_label_file
from sparsemask.datasets.sbd_semantic_segmentation_dataset import \
    read_sbd_label
from sparsemask.datasets.sbd_semantic_segmentation_dataset import SBD_HOW


VOC_HOW = (
    'Download PASCAL VOC 2012 from http://host.robots.ox.ac.uk/pascal/VOC/'
    'voc2012/VOCtrainval_11-May-2012.tar, extract it and pass its '
    'VOCdevkit/VOC2012 folder (it holds JPEGImages/, SegmentationClass/ '
    'and ImageSets/Segmentation/).')


class VOCAugSemanticSegmentationDataset(GetterDataset):
    """PASCAL VOC 2012 segmentation, with the SBD-augmented training set.

    ``split='trainaug'`` is the 10,582-image set of the DeepLab papers
    (and of SparseMask's training): the ids of VOC 2012's segmentation
    ``train`` and of SBD's ``train`` and ``val``, minus VOC 2012's ``val``.
    An image comes from VOC's ``JPEGImages``; its label from VOC's
    ``SegmentationClass`` when VOC has one, else from SBD's ``cls/*.mat``.
    On the real data the list has 10,582 ids. The VOC splits
    (``train``, ``val``, ``trainval``) are available too, with the same
    checks (labels in [0, 21) or 255, errors naming the file).

    Args:
        voc_dir (str): the ``VOCdevkit/VOC2012`` folder.
        sbd_dir (str): the SBD ``benchmark_RELEASE/dataset`` folder; needed
            for ``trainaug`` only.
        split (str): ``'trainaug'``, ``'train'``, ``'val'`` or
            ``'trainval'``.
        list_file (str): a list of ids replacing the computed ``trainaug``
            list (lines ``<id>`` or DeepLab's ``/JPEGImages/<id>.jpg
            /SegmentationClassAug/<id>.png``).

    This data set returns ``img`` (float32 CHW RGB in [0, 255]) and
    ``label`` (int32, -1 for ignored pixels).

    """

    n_class = 21
    label_names = voc_semantic_segmentation_label_names

    def __init__(self, voc_dir, sbd_dir=None, split='trainaug',
                 list_file=None):
        super(VOCAugSemanticSegmentationDataset, self).__init__()
        splits = ('trainaug', 'train', 'val', 'trainval')
        if split not in splits:
            raise ValueError('VOC split must be one of {}, not {!r}'.format(
                ', '.join(splits), split))
        seg = os.path.join('ImageSets', 'Segmentation')
        self.voc_dir = check_dir(
            voc_dir, 'PASCAL VOC 2012', VOC_HOW,
            ('JPEGImages', 'SegmentationClass', os.path.join(seg, 'val.txt'),
             os.path.join(seg, 'train.txt')))
        voc_ids = {s: read_ids(os.path.join(self.voc_dir, seg, s + '.txt'))
                   for s in ('train', 'val')}
        self.sbd_dir = None
        if split == 'trainaug':
            if list_file is not None:
                if not os.path.isfile(list_file):
                    raise FileNotFoundError(
                        'trainaug list file {} does not exist'.format(
                            list_file))
                ids = read_ids(list_file)
            else:
                ids = set(voc_ids['train'])
            if sbd_dir is not None and os.path.isdir(os.path.join(
                    os.path.expanduser(sbd_dir), 'dataset', 'cls')):
                sbd_dir = os.path.join(sbd_dir, 'dataset')
            self.sbd_dir = check_dir(sbd_dir, 'SBD', SBD_HOW,
                                     ('cls', 'train.txt', 'val.txt'))
            if list_file is None:
                for s in ('train', 'val'):
                    ids |= set(read_ids(os.path.join(self.sbd_dir,
                                                     s + '.txt')))
                ids = sorted(ids - set(voc_ids['val']))
        elif split == 'trainval':
            ids = voc_ids['train'] + voc_ids['val']
        else:
            ids = voc_ids[split]
        self.ids = list(ids)
        self.add_getter('img', self._get_image)
        self.add_getter('label', self._get_label)

    def __len__(self):
        return len(self.ids)

    def _get_image(self, i):
        return read_image_file(os.path.join(
            self.voc_dir, 'JPEGImages', self.ids[i] + '.jpg'))

    def _get_label(self, i):
        path = os.path.join(self.voc_dir, 'SegmentationClass',
                            self.ids[i] + '.png')
        if os.path.isfile(path) or self.sbd_dir is None:
            return read_label_file(path, self.n_class)
        return read_sbd_label(
            os.path.join(self.sbd_dir, 'cls', self.ids[i] + '.mat'),
            self.n_class)
