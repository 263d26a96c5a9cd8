import os

import numpy
import PIL.Image
import pytest

from sparsemask.datasets import FolderSemanticSegmentationDataset
from tests.datasets import layouts


@pytest.fixture
def root(tmp_path):
    return layouts.write_folder(str(tmp_path / 'mydata'))


def files(root, i):
    return layouts.folder_files(root)[i]


@pytest.mark.parametrize('split', ['train', 'val'])
def test_images_and_labels(root, split):
    d = FolderSemanticSegmentationDataset(root, split)
    ids = layouts.FOLDER_SPLITS[split]
    assert len(d) == len(ids) and d.ids == ids
    assert d.label_names == layouts.FOLDER_CLASSES and d.n_class == 3
    assert isinstance(d.label_names, tuple)
    assert d.keys == ('img', 'label')
    for k, i in enumerate(ids):
        image, label_path, mode = files(root, i)
        assert d.img_paths[k] == image and d.label_paths[k] == label_path
        img, label = d[k]
        layouts.assert_image(img, layouts.image_for('folder' + i),
                             atol=0 if image.endswith('.png') else
                             layouts.JPEG_ATOL)
        assert label.dtype == numpy.int32 and label.shape == layouts.SIZE
        raw = layouts.folder_label_for(i)
        numpy.testing.assert_array_equal(label, layouts.expected_label(raw))
        assert (label[0] == -1).all() and label[1:].min() >= 0
    # every kind of file was read
    kinds = {(os.path.splitext(files(root, i)[0])[1], files(root, i)[2])
             for ids in layouts.FOLDER_SPLITS.values() for i in ids}
    assert {e for e, _ in kinds} == {'.png', '.jpg', '.jpeg'}
    assert {m for _, m in kinds} == {'P', 'L'}


def test_palette_index_is_the_class_not_the_colour(root):
    _, path, _ = files(root, 'a0')
    raw = layouts.folder_label_for('a0')
    img = PIL.Image.fromarray(raw, mode='P')
    # every index drawn in white: the colours say nothing
    img.putpalette([255] * 768)
    img.save(path)
    d = FolderSemanticSegmentationDataset(root, 'train')
    numpy.testing.assert_array_equal(d[0][1], layouts.expected_label(raw))


def test_any_split_name_and_list_details(root):
    # a line's first token is the id; blank lines are skipped
    layouts.write_lines(os.path.join(root, 'fold-1.txt'),
                        ['', 'b1', '   ', 'a2.jpg extra', ''])
    d = FolderSemanticSegmentationDataset(root, 'fold-1')
    assert d.ids == ['b1', 'a2'] and len(d) == 2
    d[0], d[1]


def test_upper_case_extension(root):
    image, _, _ = files(root, 'a1')
    assert image.endswith('.jpg')
    os.rename(image, image[:-4] + '.JPG')
    d = FolderSemanticSegmentationDataset(root, 'train')
    assert d.img_paths[1] == image[:-4] + '.JPG'
    d[1]


def test_sixteen_bit_label_is_not_clipped(root):
    _, path, _ = files(root, 'a3')
    raw = layouts.folder_label_for('a3').astype(numpy.uint16)
    PIL.Image.fromarray(raw).save(path)
    assert PIL.Image.open(path).mode.startswith('I')
    d = FolderSemanticSegmentationDataset(root, 'train')
    numpy.testing.assert_array_equal(d[3][1], layouts.expected_label(raw))
    # a value above 255 is reported, not clipped to 255 (ignore)
    raw[2, 2] = 300
    PIL.Image.fromarray(raw).save(path)
    with pytest.raises(ValueError) as e:
        d[3]
    layouts.assert_one_line_error(e.value, path, '[300]', '[0, 3)')


# errors in __init__

def test_missing_root_describes_the_layout(tmp_path):
    missing = str(tmp_path / 'none')
    with pytest.raises(FileNotFoundError) as e:
        FolderSemanticSegmentationDataset(missing)
    message = layouts.assert_one_line_error(e.value, missing,
                                            'does not exist')
    assert 'images/<id>.jpg' in message and 'labels/<id>.png' in message
    assert 'classes.txt' in message and '<split>.txt' in message


@pytest.mark.parametrize('entry', ['images', 'labels', 'classes.txt'])
def test_missing_entry_is_named(root, entry):
    path = os.path.join(root, entry)
    os.rename(path, path + '.moved')
    with pytest.raises(FileNotFoundError) as e:
        FolderSemanticSegmentationDataset(root)
    message = layouts.assert_one_line_error(e.value, 'has no ' + entry, path)
    assert 'labels/<id>.png' in message


def test_missing_split_list_names_it_and_the_lists_there(root):
    path = os.path.join(root, 'test.txt')
    with pytest.raises(FileNotFoundError) as e:
        FolderSemanticSegmentationDataset(root, 'test')
    message = layouts.assert_one_line_error(e.value, path, "'test'",
                                            'does not exist')
    assert 'lists there: train.txt, val.txt' in message
    assert '<split>.txt' in message


def test_empty_split_list(root):
    path = os.path.join(root, 'val.txt')
    layouts.write_lines(path, ['', '  '])
    with pytest.raises(ValueError) as e:
        FolderSemanticSegmentationDataset(root, 'val')
    layouts.assert_one_line_error(e.value, 'split list ' + path, 'is empty')


@pytest.mark.parametrize('lines,expected', [
    ([], 'is empty'),
    (['', ''], 'is empty'),
    (['background', 'car', 'road', 'car'], "names 'car' twice (lines 2 "
                                           "and 4)"),
    (['background', '', 'car'], 'blank line (line 2)'),
    (['c{}'.format(k) for k in range(256)], 'names 256 classes: at most '
                                            '255'),
])
def test_bad_class_list(root, lines, expected):
    path = os.path.join(root, 'classes.txt')
    layouts.write_lines(path, lines)
    with pytest.raises(ValueError) as e:
        FolderSemanticSegmentationDataset(root)
    layouts.assert_one_line_error(e.value, 'class list ' + path, expected)


def test_class_list_may_end_with_blank_lines(root):
    layouts.write_lines(os.path.join(root, 'classes.txt'),
                        [' background', 'road ', 'car', '', ''])
    d = FolderSemanticSegmentationDataset(root)
    assert d.label_names == ('background', 'road', 'car')


def test_id_without_image(root):
    layouts.write_lines(os.path.join(root, 'train.txt'),
                        ['a0', 'nothing', 'a1'])
    with pytest.raises(FileNotFoundError) as e:
        FolderSemanticSegmentationDataset(root)
    images = os.path.join(root, 'images')
    layouts.assert_one_line_error(
        e.value, '1 of the 3 ids', os.path.join(root, 'train.txt'),
        'no image', 'ids: nothing',
        os.path.join(images, 'nothing.jpg'),
        os.path.join(images, 'nothing.jpeg'),
        os.path.join(images, 'nothing.png'))


def test_id_with_two_images(root):
    image, _, _ = files(root, 'a0')
    assert image.endswith('.png')
    other = image[:-4] + '.jpg'
    layouts.write_jpeg(other, layouts.image_for('other'))
    with pytest.raises(ValueError) as e:
        FolderSemanticSegmentationDataset(root)
    layouts.assert_one_line_error(e.value, 'id a0', '2 images', image, other,
                                  'exactly one image')
    # the other split does not have a0
    assert len(FolderSemanticSegmentationDataset(root, 'val')) == 2


def test_missing_label(root):
    _, label, _ = files(root, 'a2')
    os.remove(label)
    with pytest.raises(FileNotFoundError) as e:
        FolderSemanticSegmentationDataset(root)
    layouts.assert_one_line_error(e.value, 'no label', label,
                                  'does not exist', 'ids: a2')


# errors reading an example

@pytest.mark.parametrize('mode', ['RGB', 'RGBA', 'LA'])
def test_colour_label_is_refused(root, mode):
    _, label, _ = files(root, 'a1')
    raw = layouts.folder_label_for('a1')
    PIL.Image.fromarray(raw, mode='L').convert(mode).save(label)
    d = FolderSemanticSegmentationDataset(root)
    with pytest.raises(ValueError) as e:
        d[1]
    message = layouts.assert_one_line_error(
        e.value, 'label ' + label, 'of mode {}:'.format(mode))
    assert 'a label must be an index' in message and 'palette' in message
    # the image alone is still readable, and the other examples
    d.slice[:, 'img'][1]
    d[0], d[2]


def test_label_of_another_size_names_both_files(root):
    image, label, _ = files(root, 'b0')
    layouts.write_grey_png(label, numpy.ones((4, 8), numpy.uint8))
    d = FolderSemanticSegmentationDataset(root, 'val')
    message = layouts.assert_size_mismatch(d, 0, label, image)
    assert 'is 8x4 (WxH)' in message and 'is 8x6' in message
    d[1]


def test_label_outside_the_classes_names_file_and_values(root):
    _, label, _ = files(root, 'a2')
    bad = layouts.folder_label_for('a2')
    bad[1, 1], bad[2, 2], bad[3, 3] = 3, 7, 255
    layouts.write_palette_png(label, bad)
    d = FolderSemanticSegmentationDataset(root)
    with pytest.raises(ValueError) as e:
        d[2]
    layouts.assert_one_line_error(e.value, label, '[3, 7]', '[0, 3)',
                                  '2 pixels')
    d[3]


def test_truncated_image(root):
    image, _, _ = files(root, 'a1')
    assert image.endswith('.jpg')
    layouts.write_truncated_jpeg(image)
    d = FolderSemanticSegmentationDataset(root)
    message = layouts.assert_unreadable(d, 1, 'cannot read image', image)
    assert 'truncated' in message
    d[0]


@pytest.mark.parametrize('id_', ['a0', 'a1'])
def test_truncated_label(root, id_):
    image, label, mode = files(root, id_)
    assert mode == {'a0': 'P', 'a1': 'L'}[id_]
    layouts.write_truncated(label)
    d = FolderSemanticSegmentationDataset(root)
    k = d.ids.index(id_)
    layouts.assert_unreadable(d, k, 'cannot read label', label)
    d.slice[:, 'img'][k]


def test_empty_label(root):
    _, label, _ = files(root, 'a3')
    layouts.write_empty(label)
    d = FolderSemanticSegmentationDataset(root)
    message = layouts.assert_unreadable(d, 3, 'cannot read label', label)
    assert 'the file is empty (0 bytes)' in message
