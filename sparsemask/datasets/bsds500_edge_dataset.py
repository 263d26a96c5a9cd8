"""BSDS500 edge detection (the Berkeley Segmentation Data Set 500)."""

import os

import numpy

from sparsemask.datasets._edge_label import check_eta
from sparsemask.datasets._edge_label import edge_label
from sparsemask.datasets._files import check_dir
from sparsemask.datasets._files import check_label_size
from sparsemask.datasets._files import check_split
from sparsemask.datasets._files import list_files
from sparsemask.datasets._files import missing_files
from sparsemask.datasets._files import missing_files_error
from sparsemask.datasets._files import resolve_dir
from sparsemask.datasets._files import unreadable_file_error
from sparsemask.datasets._image_label_dataset import ImageLabelDataset
from sparsemask.utils.one_line import one_line


BSDS500_HOW = (
    'Download BSDS500 from http://www.eecs.berkeley.edu/Research/Projects/'
    'CS/vision/grouping/BSR/BSR_bsds500.tgz, extract it and pass its '
    'BSR/BSDS500/data folder (it holds images/ and groundTruth/, each with '
    'train/, val/ and test/).')

#: The folders of a split.
SPLIT_FOLDERS = {'train': ('train',), 'val': ('val',), 'test': ('test',),
                 'trainval': ('train', 'val')}

_EXPECTED = 'a BSDS500 .mat file holding groundTruth, a cell of structs ' \
    'with a Boundaries field'


def read_bsds_boundaries(path, image_path=None):
    """Reads the annotators' boundary maps of a BSDS500 ground truth file.

    The file (``groundTruth/<split>/<id>.mat``) holds ``groundTruth``, a
    1xK MATLAB cell of structs, one per annotator, with the fields
    ``Segmentation`` (uint16 region indices) and ``Boundaries`` (a logical
    map of the region boundaries).

    Args:
        path (str): the ``.mat`` file.
        image_path (str): its image; if given, every map must have its
            size.

    Returns:
        list of numpy.ndarray: the K uint8 maps of shape ``(H, W)``, 1 on
        boundary pixels, in the file's annotator order.

    Raises:
        OSError: one line naming ``path`` if it is missing, empty,
            truncated or otherwise unreadable, or naming an unreadable
            ``image_path``.
        ValueError: one line naming ``path``: no ``groundTruth`` variable,
            not a non-empty cell of structs with ``Boundaries``, a map that
            is not 2-D or holds values other than 0 and 1, maps of
            different sizes, or, naming ``image_path`` too, a size other
            than the image's.

    """
    import scipy.io
    try:
        mat = scipy.io.loadmat(path)
    except Exception as e:
        raise unreadable_file_error('ground truth', path, e,
                                    expected=_EXPECTED) from e
    if 'groundTruth' not in mat:
        names = sorted(k for k in mat if not k.startswith('__'))
        raise ValueError(
            'ground truth {} has no variable groundTruth (it holds {}): '
            'expected {}'.format(path, ', '.join(names) if names else
                                 'no variables', _EXPECTED))
    cell = mat['groundTruth']
    if not isinstance(cell, numpy.ndarray) or cell.dtype != object or \
            cell.size == 0:
        raise ValueError(
            'ground truth {}: groundTruth is {}, not a non-empty cell: '
            'expected {}'.format(path, _describe(cell), _EXPECTED))
    boundaries = []
    for k, annotator in enumerate(cell.ravel(order='F')):
        names = getattr(getattr(annotator, 'dtype', None), 'names', None)
        if not names or 'Boundaries' not in names or annotator.size != 1:
            raise ValueError(
                'ground truth {}: groundTruth{{{}}} is {}, not a struct '
                'with a Boundaries field: expected {}'.format(
                    path, k + 1, _describe(annotator), _EXPECTED))
        b = annotator['Boundaries'].ravel()[0]
        try:
            b = numpy.asarray(b)
            values = numpy.unique(b)
            ok = b.ndim == 2 and numpy.isin(values, (0, 1)).all()
        except (TypeError, ValueError) as e:
            raise ValueError('ground truth {}: groundTruth{{{}}}.Boundaries '
                             'is not a numeric map: {}'.format(
                                 path, k + 1, one_line(e))) from e
        if not ok:
            raise ValueError(
                'ground truth {}: groundTruth{{{}}}.Boundaries has shape {} '
                'and values {}: expected a 2-D map of 0 and 1'.format(
                    path, k + 1, b.shape, values[:10].tolist()))
        if boundaries and b.shape != boundaries[0].shape:
            raise ValueError(
                'ground truth {}: groundTruth{{{}}}.Boundaries is {}x{} '
                '(WxH) but groundTruth{{1}}.Boundaries is {}x{}: the maps of '
                'all annotators must have the size of the image'.format(
                    path, k + 1, b.shape[1], b.shape[0],
                    boundaries[0].shape[1], boundaries[0].shape[0]))
        boundaries.append(b.astype(numpy.uint8))
    if image_path is not None:
        check_label_size(boundaries[0], path, image_path)
    return boundaries


def _describe(value):
    if isinstance(value, numpy.ndarray):
        return 'a {} array of shape {}'.format(value.dtype, value.shape)
    return 'a {}'.format(type(value).__name__)


class BSDS500EdgeDataset(ImageLabelDataset):
    """BSDS500 edge detection, with the training target of HED and RCF.

    BSDS500 (Arbelaez et al., TPAMI 2011) has 200 training, 100 validation
    and 200 test images, each segmented by 4 to 9 annotators. The layout is
    that of the official ``BSR_bsds500.tgz``, under ``BSR/BSDS500/data``::

        images/{train,val,test}/<id>.jpg
        groundTruth/{train,val,test}/<id>.mat

    where a ``.mat`` holds ``groundTruth``, a 1xK cell of structs with the
    fields ``Segmentation`` and ``Boundaries``, one per annotator (see
    :func:`read_bsds_boundaries`). The ids of a split are the ``.jpg``
    files of its image folder, sorted (other files, such as
    ``Thumbs.db``, are ignored).

    The label is the training target of HED (Xie and Tu, ICCV 2015) and
    RCF (Liu et al., CVPR 2017): with ``p`` the mean of the K boundary
    maps, the fraction of annotators that marked a pixel, a pixel is an
    edge (1) where ``p >= eta``, a non-edge (0) where ``p == 0`` and
    ignored (-1) where ``0 < p < eta``, marked by too few annotators to be
    an edge but by some. The boundary maps themselves, which the BSDS
    benchmark matches predictions against, are :meth:`get_boundaries`.

    Args:
        data_dir (str): the ``BSR/BSDS500/data`` folder (``BSR`` or
            ``BSR/BSDS500`` are accepted too).
        split ({'train', 'val', 'test', 'trainval'}): the split;
            ``'trainval'`` is train followed by val (300 images, what
            HED, RCF and SparseMask train on).
        eta (float): the agreement threshold, in (0, 1].

    An example is ``(img, label)``, read and checked as
    :class:`~sparsemask.datasets._image_label_dataset.ImageLabelDataset`
    says: a float32 RGB image :math:`(3, H, W)` in :math:`[0, 255]` and its
    int32 edge label :math:`(H, W)`: 1 (edge), 0 (non-edge) or -1 (ignored).

    Attributes:
        ids (list of str): the ids of the split (sorted within each
            folder).
        img_paths (list of str): their images.
        gt_paths (list of str): their ground truth files.
        eta (float): the threshold.

    Raises:
        FileNotFoundError: in ``__init__``, if ``data_dir`` or a split
            folder is missing (the message says where to get BSDS500 and
            which folder to pass), or an image has no ground truth file
            (naming the missing file).
        ValueError: in ``__init__``, for an unknown split, an ``eta``
            outside (0, 1] or a split folder without images; reading an
            example or its boundaries, if the ground truth is not what
            :func:`read_bsds_boundaries` expects or its size differs from
            its image's (one line naming the file).
        OSError: reading an example, if its image or ground truth is
            empty, truncated or otherwise unreadable; one line that names
            the file.

    """

    label_names = ('non-edge', 'edge')
    n_class = 2

    def __init__(self, data_dir, split='train', eta=0.5):
        super(BSDS500EdgeDataset, self).__init__()
        folders = SPLIT_FOLDERS[check_split(split, SPLIT_FOLDERS, 'BSDS500')]
        self.eta = check_eta(eta)
        data_dir = resolve_dir(resolve_dir(resolve_dir(
            data_dir, 'BSR'), 'BSDS500'), 'data')
        self.data_dir = check_dir(
            data_dir, 'BSDS500', BSDS500_HOW,
            [os.path.join(top, sub) for sub in folders
             for top in ('images', 'groundTruth')])
        self.ids, self.img_paths, self.gt_paths = [], [], []
        for sub in folders:
            image_dir = os.path.join(self.data_dir, 'images', sub)
            gt_dir = os.path.join(self.data_dir, 'groundTruth', sub)
            names = list_files(image_dir, ('.jpg',))
            ids = [os.path.splitext(n)[0] for n in names]
            if not ids:
                raise ValueError(
                    'BSDS500 image folder {} holds no .jpg images. {}'.format(
                        image_dir, BSDS500_HOW))
            gt_paths = [os.path.join(gt_dir, i + '.mat') for i in ids]
            missing = missing_files(gt_paths)
            if missing:
                raise missing_files_error(
                    len(missing), len(ids), image_dir, 'ground truth',
                    '{} does not exist. {}'.format(missing[0], BSDS500_HOW),
                    items='images')
            self.ids.extend(ids)
            self.img_paths.extend(os.path.join(image_dir, n) for n in names)
            self.gt_paths.extend(gt_paths)

    def get_boundaries(self, i):
        """The annotators' boundary maps of the ``i``-th image.

        Args:
            i (int): the index.

        Returns:
            list of numpy.ndarray: K uint8 maps of shape ``(H, W)``, 1 on
            the boundaries an annotator drew, 0 elsewhere.

        """
        return read_bsds_boundaries(self.gt_paths[i], self.img_paths[i])

    def _get_label(self, i):
        return edge_label(self.get_boundaries(i), self.eta)
