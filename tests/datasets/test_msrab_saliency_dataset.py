import os

import numpy
import PIL.Image
import pytest

from sparsemask.datasets import MSRABSaliencyDataset
from tests.datasets import layouts


@pytest.fixture
def root(tmp_path):
    return layouts.make_msrab(str(tmp_path / 'MSRA-B'))


def assert_split(d, split):
    ids = layouts.MSRAB_SPLITS[split]
    assert len(d) == len(ids) and d.ids == ids
    assert d.label_names == ('background', 'salient')
    for i, name in enumerate(ids):
        img, label = d[i]
        layouts.assert_image(img, layouts.image_for('msrab' + name))
        assert label.dtype == numpy.int32 and label.shape == layouts.SIZE
        numpy.testing.assert_array_equal(
            label, layouts.msrab_mask_for(name).astype(numpy.int32))


@pytest.mark.parametrize('split', ['train', 'val', 'test'])
def test_images_and_masks(root, split):
    # grey, RGB and palette masks (see layouts.MSRAB_MASK_MODES)
    assert_split(MSRABSaliencyDataset(root, split), split)


@pytest.mark.parametrize('list_ext', ['.png', ''])
def test_list_names_with_the_mask_extension_or_none(tmp_path, list_ext):
    root = layouts.make_msrab(str(tmp_path / 'MSRA-B'), list_ext=list_ext)
    assert_split(MSRABSaliencyDataset(root, 'train'), 'train')


def test_image_and_annotation_folders(tmp_path):
    # NLDF / DSS-pytorch: MSRA-B/image/<id>.jpg, MSRA-B/annotation/<id>.png
    root = layouts.make_msrab(str(tmp_path / 'MSRA-B'), layout='nldf')
    d = MSRABSaliencyDataset(root, 'val')
    assert d.img_paths[0] == os.path.join(root, 'image', '2_53_53011.jpg')
    assert d.label_paths[0] == os.path.join(
        root, 'annotation', '2_53_53011.png')
    assert_split(d, 'val')


def test_parent_folder_is_accepted(root):
    d = MSRABSaliencyDataset(os.path.dirname(root), 'test')
    assert d.data_dir == root and len(d) == 2


def test_mask_is_thresholded_at_128_on_its_first_channel(root):
    d = MSRABSaliencyDataset(root, 'train')
    values = numpy.array([[0, 127, 128, 255, 1, 200, 90, 130]] * 6,
                         numpy.uint8)
    expected = (values >= 128).astype(numpy.int32)
    PIL.Image.fromarray(values, mode='L').save(d.label_paths[0])
    numpy.testing.assert_array_equal(d[0][1], expected)
    # RGB: the first channel decides
    rgb = numpy.stack([values, 255 - values, 255 - values], axis=2)
    PIL.Image.fromarray(rgb, mode='RGB').save(d.label_paths[1])
    numpy.testing.assert_array_equal(d[1][1], expected)
    # palette: the colour of the index, not the index
    indices = numpy.array([[0, 1, 2, 3, 0, 1, 2, 3]] * 6, numpy.uint8)
    p = PIL.Image.fromarray(indices, mode='P')
    p.putpalette([0, 0, 0, 255, 255, 255, 100, 255, 255, 200, 0, 0] +
                 [0, 0, 0] * 252)
    p.save(d.label_paths[2])
    numpy.testing.assert_array_equal(
        d[2][1], numpy.array([[0, 1, 0, 1, 0, 1, 0, 1]] * 6, numpy.int32))


def test_16_bit_mask_is_refused_naming_it(root):
    d = MSRABSaliencyDataset(root, 'val')
    PIL.Image.fromarray(numpy.full(layouts.SIZE, 65535, numpy.uint16)).save(
        d.label_paths[1])
    with pytest.raises(ValueError) as e:
        d[1]
    layouts.assert_one_line_error(e.value, d.label_paths[1], 'mode')
    d[0]


def test_missing_directory_is_named_with_how_to_get_it(tmp_path):
    missing = str(tmp_path / 'none')
    with pytest.raises(FileNotFoundError) as e:
        MSRABSaliencyDataset(missing)
    message = layouts.assert_one_line_error(e.value, missing,
                                            'does not exist')
    assert 'MSRA-B.zip' in message and 'train_cvpr2013.txt' in message


@pytest.mark.parametrize('split', ['train', 'val', 'test'])
def test_missing_list_is_named(root, split):
    path = os.path.join(root, layouts.MSRAB_LISTS[split])
    os.remove(path)
    with pytest.raises(FileNotFoundError) as e:
        MSRABSaliencyDataset(root, split)
    message = layouts.assert_one_line_error(e.value, path)
    assert 'has no ' + layouts.MSRAB_LISTS[split] in message
    assert 'hzjiang/drfi' in message


@pytest.mark.parametrize('index', [0, 1])
def test_id_without_its_file_is_named(root, index):
    # index 0: the image is missing, 1: the mask
    image, mask = layouts.msrab_files(root, '1_45_45397')
    path = (image, mask)[index]
    os.remove(path)
    with pytest.raises(FileNotFoundError) as e:
        MSRABSaliencyDataset(root, 'train')
    message = layouts.assert_one_line_error(
        e.value, path, os.path.join(root, 'train_cvpr2013.txt'))
    assert '1 of the 3 ids' in message
    assert ('no image' if index == 0 else 'no mask') in message
    # the other splits are whole
    assert len(MSRABSaliencyDataset(root, 'val')) == 2


def test_mask_of_another_size_names_both_files(root):
    d = MSRABSaliencyDataset(root, 'test')
    layouts.write_mask_png(d.label_paths[1], numpy.ones((4, 8), bool))
    message = layouts.assert_size_mismatch(d, 1, d.label_paths[1],
                                           d.img_paths[1])
    assert 'is 8x4 (WxH)' in message and 'is 8x6' in message
    d[0]


def test_unreadable_files_are_named(root):
    d = MSRABSaliencyDataset(root, 'train')
    layouts.write_garbage(d.img_paths[0], b'\xff\xd8')
    layouts.assert_unreadable(d, 0, 'cannot read image', d.img_paths[0])
    layouts.write_garbage(d.label_paths[1], b'\x89PNG\r\n\x1a\n')
    layouts.assert_unreadable(d, 1, 'cannot read mask', d.label_paths[1])
    layouts.write_empty(d.label_paths[2])
    message = layouts.assert_unreadable(d, 2, 'cannot read mask',
                                        d.label_paths[2])
    assert 'the file is empty (0 bytes)' in message


def test_empty_list_and_bad_split(root):
    path = os.path.join(root, 'valid_cvpr2013.txt')
    layouts.write_lines(path, ['', ''])
    with pytest.raises(ValueError) as e:
        MSRABSaliencyDataset(root, 'val')
    layouts.assert_one_line_error(e.value, path, 'empty')
    with pytest.raises(ValueError, match="'train', 'val' or 'test'"):
        MSRABSaliencyDataset(root, 'trainval')
