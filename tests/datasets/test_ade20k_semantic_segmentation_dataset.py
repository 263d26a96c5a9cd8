import os

import numpy
import pytest

from chainercv.datasets import ADE20KSemanticSegmentationDataset as CVADE

from sparsemask.datasets import ADE20KSemanticSegmentationDataset
from tests.datasets import layouts


@pytest.fixture
def root(tmp_path):
    return layouts.make_ade20k(str(tmp_path / 'ADEChallengeData2016'))


@pytest.mark.parametrize('split,n', [('train', 3), ('val', 2)])
def test_images_and_labels(root, split, n):
    d = ADE20KSemanticSegmentationDataset(root, split)
    names = layouts.ade20k_names(split, n)
    assert len(d) == n and d.ids == names
    assert d.n_class == 150 and len(d.label_names) == 150
    for i, name in enumerate(names):
        img, label = d[i]
        layouts.assert_image(img, layouts.image_for('ade' + name))
        raw = layouts.ade20k_label_for(name)
        # raw 0 (unlabelled) -> -1, raw k -> k - 1
        assert label.dtype == numpy.int32 and label.shape == layouts.SIZE
        numpy.testing.assert_array_equal(label, raw.astype(numpy.int32) - 1)
        assert label[0, 0] == -1 and label[0, 1] == 149


def test_matches_chainercv(root, tmp_path):
    for split in ('train', 'val'):
        ours = ADE20KSemanticSegmentationDataset(root, split)
        # chainercv takes the parent of ADEChallengeData2016
        theirs = CVADE(data_dir=str(tmp_path), split=split)
        assert len(ours) == len(theirs)
        for i in range(len(ours)):
            for a, b in zip(ours[i], theirs[i]):
                assert a.dtype == b.dtype
                numpy.testing.assert_array_equal(a, b)


def test_parent_folder_is_accepted(root):
    d = ADE20KSemanticSegmentationDataset(os.path.dirname(root), 'val')
    assert len(d) == 2 and d.data_dir == root


def test_missing_directory_is_named_with_how_to_get_it(tmp_path):
    missing = str(tmp_path / 'none')
    with pytest.raises(FileNotFoundError) as e:
        ADE20KSemanticSegmentationDataset(missing)
    assert missing in str(e.value) and 'does not exist' in str(e.value)
    assert 'ADEchallenge/ADEChallengeData2016.zip' in str(e.value)
    assert 'ADEChallengeData2016 folder' in str(e.value)


@pytest.mark.parametrize('entry', [
    os.path.join('images', 'validation'),
    os.path.join('annotations', 'validation')])
def test_missing_entry_is_named(root, entry):
    path = os.path.join(root, entry)
    os.rename(path, path + '.moved')
    with pytest.raises(FileNotFoundError) as e:
        ADE20KSemanticSegmentationDataset(root, 'val')
    assert 'has no ' + entry in str(e.value) and path in str(e.value)
    assert 'ADEChallengeData2016.zip' in str(e.value)
    # the other split is still there
    assert len(ADE20KSemanticSegmentationDataset(root, 'train')) == 3


def test_wrong_folder_is_named(root):
    with pytest.raises(FileNotFoundError, match='has no images'):
        ADE20KSemanticSegmentationDataset(os.path.join(root, 'images'))


def test_bad_split(root):
    with pytest.raises(ValueError, match="'train' or 'val'"):
        ADE20KSemanticSegmentationDataset(root, 'test')


def test_label_outside_the_classes_names_file_and_values(root):
    path = os.path.join(root, 'annotations', 'validation',
                        'ADE_val_00000001.png')
    bad = layouts.ade20k_label_for('x')
    bad[1, 1], bad[2, 2] = 151, 255
    layouts.write_grey_png(path, bad)
    d = ADE20KSemanticSegmentationDataset(root, 'val')
    with pytest.raises(ValueError) as e:
        d[0]
    layouts.assert_one_line_error(e.value, path, '[151, 255]', '[0, 151)')
    d[1]


def test_unreadable_files_are_named(root):
    d = ADE20KSemanticSegmentationDataset(root, 'train')
    img = d.img_paths[0]
    layouts.write_garbage(img, b'\xff\xd8')
    layouts.assert_unreadable(d, 0, 'cannot read image', img)
    label = d.label_paths[1]
    layouts.write_garbage(label, b'\x89PNG\r\n\x1a\n')
    layouts.assert_unreadable(d, 1, 'cannot read label', label)
    # a missing annotation is named too
    label = d.label_paths[2]
    os.remove(label)
    with pytest.raises(IOError) as e:
        d[2]
    assert label in str(e.value)


def test_annotation_of_another_size_names_both_files(root):
    d = ADE20KSemanticSegmentationDataset(root, 'val')
    layouts.write_grey_png(d.label_paths[1], numpy.ones((4, 8), numpy.uint8))
    message = layouts.assert_size_mismatch(d, 1, d.label_paths[1],
                                           d.img_paths[1])
    assert 'is 8x4 (WxH)' in message and 'is 8x6' in message
    d[0]


def test_rgba_image_is_read_as_its_rgb_channels(root):
    d = ADE20KSemanticSegmentationDataset(root, 'train')
    rgb = layouts.image_for('rgba')
    layouts.write_rgba_png(d.img_paths[2], rgb)
    img, label = d[2]
    numpy.testing.assert_array_equal(img, rgb.transpose(2, 0, 1))
    numpy.testing.assert_array_equal(
        label, layouts.ade20k_label_for(d.ids[2]).astype(numpy.int32) - 1)


@pytest.mark.parametrize('damage,expected', [
    (layouts.write_truncated_jpeg, 'image file is truncated'),
    (layouts.write_empty, 'the file is empty (0 bytes)')])
def test_truncated_or_empty_file_is_a_one_line_error(root, damage, expected):
    d = ADE20KSemanticSegmentationDataset(root, 'train')
    damage(d.img_paths[0])
    message = layouts.assert_unreadable(d, 0, 'cannot read image',
                                        d.img_paths[0])
    assert expected in message
    layouts.write_empty(d.label_paths[1])
    message = layouts.assert_unreadable(d, 1, 'cannot read label',
                                        d.label_paths[1])
    assert 'the file is empty (0 bytes)' in message
    d[2]
