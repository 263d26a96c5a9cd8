import os

import numpy
import pytest

from sparsemask.datasets import SBDSemanticSegmentationDataset
from sparsemask.datasets import VOCAugSemanticSegmentationDataset
from tests.datasets import layouts


VOC_TRAIN = ['2007_000032', '2008_000002']
VOC_VAL = ['2007_000033', '2009_000001']
SBD_TRAIN = ['2008_000002', '2008_000003', '2007_000033']
SBD_VAL = ['2010_000005', '2009_000001', '2008_000003']


@pytest.fixture
def dirs(tmp_path):
    voc = layouts.make_voc(str(tmp_path / 'VOCdevkit' / 'VOC2012'),
                           VOC_TRAIN, VOC_VAL,
                           images=SBD_TRAIN + SBD_VAL)
    sbd = layouts.make_sbd(str(tmp_path / 'benchmark_RELEASE' / 'dataset'),
                           SBD_TRAIN, SBD_VAL)
    return voc, sbd


def expected_label(raw):
    raw = raw.astype(numpy.int32)
    raw[raw == 255] = -1
    return raw


def test_trainaug_is_voc_train_and_sbd_minus_voc_val(dirs):
    voc, sbd = dirs
    d = VOCAugSemanticSegmentationDataset(voc, sbd, 'trainaug')
    assert d.ids == sorted(
        (set(VOC_TRAIN) | set(SBD_TRAIN) | set(SBD_VAL)) - set(VOC_VAL))
    assert d.ids == ['2007_000032', '2008_000002', '2008_000003',
                     '2010_000005']
    for i, name in enumerate(d.ids):
        img, label = d[i]
        assert img.shape == (3, 6, 8) and img.dtype == numpy.float32
        assert label.dtype == numpy.int32
        # VOC's PNG wins over SBD's .mat when both exist
        source = 'voc' if name in VOC_TRAIN else 'sbd'
        numpy.testing.assert_array_equal(
            label, expected_label(layouts.label_for(source + name)))
        assert (label[0] == -1).all()


def test_sbd_root_folder_is_accepted(dirs):
    voc, sbd = dirs
    d = VOCAugSemanticSegmentationDataset(voc, os.path.dirname(sbd))
    assert len(d) == 4


def test_voc_splits(dirs):
    voc, _ = dirs
    assert VOCAugSemanticSegmentationDataset(voc, split='val').ids == VOC_VAL
    d = VOCAugSemanticSegmentationDataset(voc, split='trainval')
    assert d.ids == VOC_TRAIN + VOC_VAL
    _, label = d[3]
    numpy.testing.assert_array_equal(
        label, expected_label(layouts.label_for('voc' + VOC_VAL[1])))


def test_list_file(dirs, tmp_path):
    voc, sbd = dirs
    path = str(tmp_path / 'train_aug.txt')
    layouts.write_lines(path, [
        '/JPEGImages/2010_000005.jpg /SegmentationClassAug/2010_000005.png',
        '2007_000032'])
    d = VOCAugSemanticSegmentationDataset(voc, sbd, list_file=path)
    assert d.ids == ['2010_000005', '2007_000032']
    assert d[0][1].shape == (6, 8)


def test_sbd_dataset(dirs):
    _, sbd = dirs
    d = SBDSemanticSegmentationDataset(sbd, 'val')
    assert d.ids == SBD_VAL
    img, label = d[1]
    assert img.shape == (3, 6, 8)
    numpy.testing.assert_array_equal(
        label, expected_label(layouts.label_for('sbd' + SBD_VAL[1])))


def test_missing_directories_say_which_and_how(dirs, tmp_path):
    voc, sbd = dirs
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError) as e:
        VOCAugSemanticSegmentationDataset(missing, sbd)
    assert missing in str(e.value) and 'VOCtrainval_11-May-2012.tar' in \
        str(e.value) and 'VOCdevkit/VOC2012' in str(e.value)
    with pytest.raises(FileNotFoundError) as e:
        VOCAugSemanticSegmentationDataset(voc, missing)
    assert missing in str(e.value) and 'benchmark.tgz' in str(e.value)
    with pytest.raises(FileNotFoundError, match='needs|no data directory'):
        VOCAugSemanticSegmentationDataset(voc, None, 'trainaug')
    # the parent of the right folder: names the missing entry
    with pytest.raises(FileNotFoundError, match='has no JPEGImages'):
        VOCAugSemanticSegmentationDataset(os.path.dirname(voc), sbd)


def test_bad_label_names_file_and_values(dirs):
    voc, sbd = dirs
    path = os.path.join(voc, 'SegmentationClass', VOC_TRAIN[0] + '.png')
    bad = layouts.label_for('x')
    bad[2, 2] = 37
    layouts.write_palette_png(path, bad)
    d = VOCAugSemanticSegmentationDataset(voc, sbd)
    with pytest.raises(ValueError) as e:
        d[0]
    assert path in str(e.value) and '[37]' in str(e.value)
    mat = os.path.join(sbd, 'cls', '2010_000005.mat')
    bad[2, 2] = 21
    layouts.write_sbd_mat(mat, bad)
    with pytest.raises(ValueError, match=r'2010_000005.mat.*\[21\]'):
        d[3]


def test_unreadable_files_are_named(dirs):
    voc, sbd = dirs
    img = os.path.join(voc, 'JPEGImages', VOC_TRAIN[0] + '.jpg')
    with open(img, 'wb') as f:
        f.write(b'\xff\xd8 truncated')
    d = VOCAugSemanticSegmentationDataset(voc, sbd)
    with pytest.raises(IOError, match='cannot read image .*' + VOC_TRAIN[0]):
        d[0]
    mat = os.path.join(sbd, 'cls', '2010_000005.mat')
    with open(mat, 'wb') as f:
        f.write(b'MATLAB 5.0 broken')
    with pytest.raises(IOError, match='cannot read SBD label .*2010_000005'):
        d[3]
