import os

import numpy
import pytest
import scipy.io

from sparsemask.datasets import SBDSemanticSegmentationDataset
from tests.datasets import layouts


TRAIN = ['2008_000002', '2008_000003', '2007_000033']
VAL = ['2010_000005', '2009_000001']


@pytest.fixture
def sbd(tmp_path):
    return layouts.make_sbd(
        str(tmp_path / 'benchmark_RELEASE' / 'dataset'), TRAIN, VAL)


def test_the_generated_mat_has_the_real_struct_layout(sbd):
    path = os.path.join(sbd, 'cls', TRAIN[0] + '.mat')
    gt = scipy.io.loadmat(path, squeeze_me=True,
                          struct_as_record=False)['GTcls']
    assert set(gt._fieldnames) == {
        'Segmentation', 'Boundaries', 'CategoriesPresent'}
    assert gt.Segmentation.dtype == numpy.uint8
    assert gt.Segmentation.shape == layouts.SIZE


@pytest.mark.parametrize('split,ids', [('train', TRAIN), ('val', VAL)])
def test_ids_images_and_labels(sbd, split, ids):
    d = SBDSemanticSegmentationDataset(sbd, split)
    assert len(d) == len(ids) and d.ids == ids
    assert d.keys == ('img', 'label')
    for i, name in enumerate(ids):
        img, label = d[i]
        layouts.assert_image(img, layouts.image_for('sbd' + name))
        assert label.dtype == numpy.int32 and label.shape == layouts.SIZE
        # GTcls.Segmentation, 255 -> -1
        numpy.testing.assert_array_equal(
            label, layouts.expected_label(layouts.label_for('sbd' + name)))
        assert (label[0] == -1).all() and label[1:].min() >= 0
        assert label.max() < d.n_class
    assert d.n_class == 21 and len(d.label_names) == 21


def test_the_benchmark_release_folder_is_accepted(sbd):
    d = SBDSemanticSegmentationDataset(os.path.dirname(sbd), 'val')
    assert d.ids == VAL and d.data_dir == sbd


def test_missing_directory_is_named_with_how_to_get_it(tmp_path):
    missing = str(tmp_path / 'benchmark_RELEASE')
    with pytest.raises(FileNotFoundError) as e:
        SBDSemanticSegmentationDataset(missing)
    message = str(e.value)
    assert missing in message and 'does not exist' in message
    assert 'semantic_contours/benchmark.tgz' in message
    assert 'benchmark_RELEASE/dataset' in message


@pytest.mark.parametrize('entry', ['img', 'cls', 'val.txt'])
def test_missing_entry_is_named(sbd, entry):
    path = os.path.join(sbd, entry)
    os.rename(path, path + '.moved')
    with pytest.raises(FileNotFoundError) as e:
        SBDSemanticSegmentationDataset(sbd, 'val')
    assert 'has no ' + entry in str(e.value) and path in str(e.value)
    assert 'benchmark.tgz' in str(e.value)


def test_bad_split():
    with pytest.raises(ValueError, match='trainaug'):
        SBDSemanticSegmentationDataset('.', 'trainaug')


def test_label_outside_the_classes_names_file_and_values(sbd):
    path = os.path.join(sbd, 'cls', VAL[1] + '.mat')
    bad = layouts.label_for('x')
    bad[2, 2], bad[3, 3] = 21, 254
    layouts.write_sbd_mat(path, bad)
    d = SBDSemanticSegmentationDataset(sbd, 'val')
    d[0]
    with pytest.raises(ValueError) as e:
        d[1]
    layouts.assert_one_line_error(e.value, path, '[21, 254]', '[0, 21)')
    # the image alone is still readable
    assert d.slice[:, 'img'][1].shape == (3,) + layouts.SIZE


def test_unreadable_files_are_named(sbd):
    d = SBDSemanticSegmentationDataset(sbd, 'train')
    img = os.path.join(sbd, 'img', TRAIN[1] + '.jpg')
    layouts.write_garbage(img, b'\xff\xd8')
    layouts.assert_unreadable(d, 1, 'cannot read image', img)
    mat = os.path.join(sbd, 'cls', TRAIN[2] + '.mat')
    layouts.write_garbage(mat, b'MATLAB 5.0 MAT-file')
    layouts.assert_unreadable(d, 2, 'cannot read SBD label', mat)
    # a .mat without GTcls
    scipy.io.savemat(mat, {'GTinst': numpy.zeros((2, 2))})
    with pytest.raises(IOError, match='GTcls'):
        d[2]


def test_label_of_another_size_names_both_files(sbd):
    d = SBDSemanticSegmentationDataset(sbd, 'train')
    img = os.path.join(sbd, 'img', TRAIN[0] + '.jpg')
    mat = os.path.join(sbd, 'cls', TRAIN[0] + '.mat')
    layouts.write_sbd_mat(mat, layouts.label_for('x', (8, 6)))
    message = layouts.assert_size_mismatch(d, 0, mat, img)
    assert 'is 6x8 (WxH)' in message and 'is 8x6' in message
    # the same size transposed is caught too; the rest is fine
    layouts.write_sbd_mat(mat, layouts.label_for('x', (4, 6)))
    layouts.write_jpeg(img, layouts.image_for('x', (6, 4)))
    layouts.assert_size_mismatch(d, 0, mat, img)
    d[1], d[2]


def test_rgba_image_is_read_as_its_rgb_channels(sbd):
    d = SBDSemanticSegmentationDataset(sbd, 'val')
    rgb = layouts.image_for('rgba')
    layouts.write_rgba_png(os.path.join(sbd, 'img', VAL[0] + '.jpg'), rgb)
    img, label = d[0]
    numpy.testing.assert_array_equal(img, rgb.transpose(2, 0, 1))
    numpy.testing.assert_array_equal(label, layouts.expected_label(
        layouts.label_for('sbd' + VAL[0])))


@pytest.mark.parametrize('damage,expected', [
    (layouts.write_truncated_jpeg, 'image file is truncated'),
    (layouts.write_empty, 'the file is empty (0 bytes)')])
def test_truncated_or_empty_image_is_a_one_line_error(sbd, damage,
                                                      expected):
    d = SBDSemanticSegmentationDataset(sbd, 'val')
    img = os.path.join(sbd, 'img', VAL[1] + '.jpg')
    damage(img)
    message = layouts.assert_unreadable(d, 1, 'cannot read image', img)
    assert expected in message
    d[0]
