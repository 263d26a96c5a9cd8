"""The shared part of the data sets: listing, reading and checking files
(``_files``), the base of the file data sets (``ImageLabelDataset``) and of
the synthetic ones (``SyntheticDataset``)."""

import os

import numpy
import pytest

from sparsemask.datasets import _files
from sparsemask.datasets._image_label_dataset import ImageLabelDataset
from sparsemask.datasets._synthetic import disc_or_rectangle
from sparsemask.datasets._synthetic import SyntheticDataset
from tests.datasets import layouts


def test_check_split():
    assert _files.check_split('val', ('train', 'val'), 'SBD') == 'val'
    with pytest.raises(ValueError) as e:
        _files.check_split('test', ('train', 'val'), 'SBD')
    assert str(e.value) == "SBD split must be 'train' or 'val', not 'test'"
    with pytest.raises(ValueError) as e:
        _files.check_split(None, {'a': 1, 'b': 2, 'c': 3}, 'X')
    assert str(e.value) == "X split must be 'a', 'b' or 'c', not None"


def test_read_split_list(tmp_path):
    path = str(tmp_path / 'train.txt')
    layouts.write_lines(path, ['/JPEGImages/a.jpg /SegmentationClassAug/a.png',
                               '', 'b', 'c.png', '  '])
    assert _files.read_split_list(path, 'the ids') == ['a', 'b', 'c']
    layouts.write_lines(path, ['', ''])
    with pytest.raises(ValueError) as e:
        _files.read_split_list(path, 'the val images')
    assert str(e.value) == ('split list {} is empty: it must list the val '
                            'images, one per line'.format(path))
    with open(path, 'wb') as f:
        f.write(b'\xff\xfe\x00a')
    with pytest.raises(OSError) as e:
        _files.read_split_list(path, 'the ids')
    layouts.assert_one_line_error(e.value, 'cannot read split list ' + path,
                                  'UnicodeDecodeError')
    with pytest.raises(FileNotFoundError):
        _files.read_split_list(str(tmp_path / 'none.txt'), 'the ids')


def test_list_files(tmp_path):
    for name in ('b.jpg', 'a.JPG', 'c.jpeg', 'd.png', 'Thumbs.db', 'e.txt'):
        open(str(tmp_path / name), 'wb').close()
    os.mkdir(str(tmp_path / 'f.jpg.d'))
    assert _files.list_files(str(tmp_path), ('.jpg',)) == ['a.JPG', 'b.jpg']
    assert _files.list_files(str(tmp_path), ('.jpg', '.jpeg', '.png')) == [
        'a.JPG', 'b.jpg', 'c.jpeg', 'd.png']


def test_missing_files_lists_each_folder_once(tmp_path, monkeypatch):
    for folder in ('x', 'y'):
        os.mkdir(str(tmp_path / folder))
    for name in ('x/a.png', 'y/b.png', 'y/C.png'):
        open(str(tmp_path / name), 'wb').close()
    paths = [str(tmp_path / p) for p in
             ('x/a.png', 'x/b.png', 'y/b.png', 'y/c.png', 'x/a.PNG')]
    listed = []
    listdir = os.listdir
    monkeypatch.setattr(os, 'listdir',
                        lambda d: listed.append(d) or listdir(d))
    # names match exactly, case included; the order of paths is kept
    assert _files.missing_files(paths) == [paths[1], paths[3], paths[4]]
    assert sorted(listed) == [str(tmp_path / 'x'), str(tmp_path / 'y')]
    assert _files.missing_files([]) == []


def test_missing_files_error():
    e = _files.missing_files_error(1, 3, 'list.txt', 'mask', 'm.png does '
                                   'not exist')
    assert isinstance(e, FileNotFoundError)
    assert str(e) == '1 of the 3 ids of list.txt has no mask: m.png does ' \
        'not exist'
    e = _files.missing_files_error(2, 5, 'images/val', 'ground truth',
                                   'gt.mat does not exist', items='images')
    assert str(e) == '2 of the 5 images of images/val have no ground ' \
        'truth: gt.mat does not exist'


class _Pairs(ImageLabelDataset):
    # the smallest file data set: a list of (image, label) paths

    def __init__(self, pairs):
        super(_Pairs, self).__init__()
        self.ids = [str(k) for k in range(len(pairs))]
        self.img_paths = [p[0] for p in pairs]
        self.label_paths = [p[1] for p in pairs]

    def _read_label(self, path, image_path):
        return _files.read_label_file(path, 21, image_path=image_path)


def test_image_label_dataset(tmp_path):
    image, label = str(tmp_path / 'a.jpg'), str(tmp_path / 'a.png')
    raw = layouts.label_for('a')
    layouts.write_jpeg(image, layouts.image_for('a'))
    layouts.write_palette_png(label, raw)
    missing = str(tmp_path / 'none.jpg')
    d = _Pairs([(image, label), (missing, label)])
    assert len(d) == 2 and d.keys == ('img', 'label')
    img, lbl = d[0]
    layouts.assert_image(img, layouts.image_for('a'))
    numpy.testing.assert_array_equal(lbl, layouts.expected_label(raw))
    # a slice of the labels decodes no image, but checks each label
    # against the size in its image's header: a missing image is named
    labels = d.slice[:1, 'label']
    numpy.testing.assert_array_equal(labels[0], layouts.expected_label(raw))
    with pytest.raises(OSError) as e:
        d.slice[:, 'label'][1]
    layouts.assert_one_line_error(e.value, 'cannot read image ' + missing)
    with pytest.raises(OSError) as e:
        d[1]
    layouts.assert_one_line_error(e.value, 'cannot read image ' + missing)


class _Noise(SyntheticDataset):

    def _generate_example(self, i):
        rng = self._rng(i)
        yy, xx = self._grid()
        img = rng.uniform(0, 255, (3,) + self.size).astype(numpy.float32)
        return img, (yy + xx).astype(numpy.int32)


def test_synthetic_dataset():
    d = _Noise(3, (4, 5), seed=7)
    assert len(d) == 3 and d.keys == ('img', 'label')
    assert (d.n_images, d.size, d.seed) == (3, (4, 5), 7)
    img, label = d[2]
    assert img.shape == (3, 4, 5) and label.shape == (4, 5)
    numpy.testing.assert_array_equal(
        img, _Noise(3, (4, 5), seed=7).slice[2:, 'img'][0])
    assert not numpy.array_equal(img, _Noise(3, (4, 5), seed=8)[2][0])
    numpy.testing.assert_array_equal(label, numpy.add.outer(range(4),
                                                            range(5)))
    for i in (3, -1):
        with pytest.raises(IndexError, match='out of range for 3 images'):
            d[i]


def test_disc_or_rectangle():
    yy, xx = numpy.mgrid[:40, :40].astype(numpy.float64)
    shapes = set()
    for seed in range(20):
        rng = numpy.random.RandomState(seed)
        mask = disc_or_rectangle(rng, yy, xx, 20, 20, 8, (0.5, 1.5))
        rows, cols = numpy.nonzero(mask)
        assert (cols.min(), cols.max()) == (12, 28)
        height = rows.max() - rows.min()
        if height == 16 and mask.sum() < 17 * 17:
            shapes.add('disc')
        else:
            assert mask.sum() == (height + 1) * 17
            assert 8 <= height <= 24
            shapes.add('rectangle')
    assert shapes == {'disc', 'rectangle'}
