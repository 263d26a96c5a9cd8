"""PASCAL VOC 2012 segmentation with the SBD-augmented ``trainaug`` set."""

import os

from chainercv.datasets import voc_semantic_segmentation_label_names

from sparsemask.datasets._files import check_dir
from sparsemask.datasets._files import read_ids
from sparsemask.datasets._files import read_label_file
from sparsemask.datasets._files import resolve_dir
from sparsemask.datasets._image_label_dataset import ImageLabelDataset
from sparsemask.datasets.sbd_semantic_segmentation_dataset import \
    read_sbd_label
from sparsemask.datasets.sbd_semantic_segmentation_dataset import SBD_HOW


VOC_HOW = (
    'Download PASCAL VOC 2012 from http://host.robots.ox.ac.uk/pascal/VOC/'
    'voc2012/VOCtrainval_11-May-2012.tar, extract it and pass its '
    'VOCdevkit/VOC2012 folder (it holds JPEGImages/, SegmentationClass/ '
    'and ImageSets/Segmentation/).')

_SEG = os.path.join('ImageSets', 'Segmentation')


def trainaug_ids(voc_train, voc_val, sbd_train, sbd_val):
    """The ids of the DeepLab ``trainaug`` set.

    Args:
        voc_train (iterable of str): VOC 2012 segmentation ``train`` ids.
        voc_val (iterable of str): VOC 2012 segmentation ``val`` ids.
        sbd_train (iterable of str): SBD ``train`` ids.
        sbd_val (iterable of str): SBD ``val`` ids.

    Returns:
        list of str: ``(voc_train | sbd_train | sbd_val) - voc_val``,
        sorted (10,582 ids on the real lists).

    """
    return sorted((set(voc_train) | set(sbd_train) | set(sbd_val)) -
                  set(voc_val))


class VOCAugSemanticSegmentationDataset(ImageLabelDataset):
    """PASCAL VOC 2012 segmentation, with the SBD-augmented training set.

    ``split='trainaug'`` is the training set of the DeepLab papers (and of
    SparseMask): the ids of VOC 2012's segmentation ``train`` and of SBD's
    ``train`` and ``val``, minus VOC 2012's segmentation ``val``, sorted.
    **On the real data this list has 10,582 ids** (1,464 VOC ``train``
    ids, the rest from SBD; none of VOC's 1,449 ``val`` ids). Every image
    comes from VOC's ``JPEGImages`` (SBD's images are VOC 2011's); the
    label from VOC's ``SegmentationClass/<id>.png`` when VOC has one, else
    from SBD's ``cls/<id>.mat``. The plain VOC splits ``'train'``,
    ``'val'`` and ``'trainval'`` read VOC's lists and labels only.

    Args:
        voc_dir (str): the ``VOCdevkit/VOC2012`` folder.
        sbd_dir (str): the SBD ``benchmark_RELEASE/dataset`` folder (or
            ``benchmark_RELEASE``); needed for ``'trainaug'`` only.
        split ({'trainaug', 'train', 'val', 'trainval'}): the split.
        list_file (str): for ``'trainaug'`` only: a text file of ids that
            replaces the computed list, e.g. DeepLab's ``train_aug.txt``.
            A line is ``<id>`` or ``/JPEGImages/<id>.jpg
            /SegmentationClassAug/<id>.png`` (the stem of the first token
            is the id). Ignored for the other splits.

    An example is ``(img, label)``, read and checked as
    :class:`~sparsemask.datasets._image_label_dataset.ImageLabelDataset`
    says: a float32 RGB image :math:`(3, H, W)` in :math:`[0, 255]` and
    int32 labels :math:`(H, W)` in :math:`[-1, 20]` (-1: the border of 255).

    Raises:
        FileNotFoundError: in ``__init__``, if a data directory, one of its
            expected sub-folders or list files, or ``list_file`` is
            missing; the message says where to download the data and which
            folder to pass.
        OSError: reading an example, if its image or label file is
            unreadable (one line naming the file; both candidate label
            files for a ``trainaug`` id without any).
        ValueError: reading an example, if the label's size differs from
            its image's or it holds values outside the classes.

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
        lists = ('train', 'val') if split == 'trainaug' else (split,)
        self.voc_dir = check_dir(
            voc_dir, 'PASCAL VOC 2012', VOC_HOW,
            ('JPEGImages', 'SegmentationClass') +
            tuple(os.path.join(_SEG, s + '.txt') for s in lists))
        self.sbd_dir = None
        if split != 'trainaug':
            self.ids = read_ids(os.path.join(self.voc_dir, _SEG,
                                             split + '.txt'))
        else:
            if list_file is not None and not os.path.isfile(
                    os.path.expanduser(str(list_file))):
                raise FileNotFoundError(
                    'trainaug list file {} does not exist (leave it unset '
                    'to compute the list from VOC 2012 and SBD)'.format(
                        list_file))
            self.sbd_dir = check_dir(
                resolve_dir(sbd_dir, 'dataset'), 'SBD (needed by the VOC '
                'trainaug split)', SBD_HOW, ('cls', 'train.txt', 'val.txt'))
            if list_file is not None:
                self.ids = read_ids(os.path.expanduser(str(list_file)))
            else:
                self.ids = trainaug_ids(*(
                    read_ids(os.path.join(d, s + '.txt'))
                    for d in (os.path.join(self.voc_dir, _SEG), self.sbd_dir)
                    for s in ('train', 'val')))
        self.img_paths = [os.path.join(self.voc_dir, 'JPEGImages', i + '.jpg')
                          for i in self.ids]

    def _get_label(self, i):
        path = os.path.join(self.voc_dir, 'SegmentationClass',
                            self.ids[i] + '.png')
        if self.sbd_dir is None or os.path.isfile(path):
            return read_label_file(path, self.n_class,
                                   image_path=self.img_paths[i])
        mat = os.path.join(self.sbd_dir, 'cls', self.ids[i] + '.mat')
        if not os.path.exists(mat):
            raise FileNotFoundError(
                'trainaug id {} has no label: neither {} (VOC) nor {} (SBD) '
                'exists'.format(self.ids[i], path, mat))
        return read_sbd_label(mat, self.n_class, image_path=self.img_paths[i])
