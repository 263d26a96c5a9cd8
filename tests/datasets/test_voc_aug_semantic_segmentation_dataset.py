import os

import numpy
import PIL.Image
import pytest

from sparsemask.datasets import VOCAugSemanticSegmentationDataset
from sparsemask.datasets.voc_aug_semantic_segmentation_dataset import \
    trainaug_ids
from tests.datasets import layouts


# a hand-made id set: 2008_000002 is in VOC train and SBD train (the VOC
# label wins); 2007_000033 is in VOC val and SBD train and 2009_000001 in
# VOC val and SBD val (both dropped); 2008_000003 is in SBD train and val.
VOC_TRAIN = ['2007_000032', '2008_000002']
VOC_VAL = ['2007_000033', '2009_000001']
SBD_TRAIN = ['2008_000002', '2008_000003', '2007_000033']
SBD_VAL = ['2010_000005', '2009_000001', '2008_000003']
TRAINAUG = ['2007_000032', '2008_000002', '2008_000003', '2010_000005']


@pytest.fixture
def dirs(tmp_path):
    voc = layouts.make_voc(str(tmp_path / 'VOCdevkit' / 'VOC2012'),
                           VOC_TRAIN, VOC_VAL, images=SBD_TRAIN + SBD_VAL)
    sbd = layouts.make_sbd(str(tmp_path / 'benchmark_RELEASE' / 'dataset'),
                           SBD_TRAIN, SBD_VAL)
    return voc, sbd


def test_generated_voc_labels_are_palette_pngs(dirs):
    voc, _ = dirs
    path = os.path.join(voc, 'SegmentationClass', VOC_TRAIN[0] + '.png')
    with PIL.Image.open(path) as f:
        assert f.mode == 'P'
        assert f.getpalette()[3:6] == [128, 0, 0]  # aeroplane
        raw = numpy.asarray(f)
    numpy.testing.assert_array_equal(raw, layouts.label_for(
        'voc' + VOC_TRAIN[0]))


def test_trainaug_ids():
    assert trainaug_ids(VOC_TRAIN, VOC_VAL, SBD_TRAIN, SBD_VAL) == TRAINAUG


def test_trainaug_is_voc_train_and_sbd_minus_voc_val(dirs):
    voc, sbd = dirs
    d = VOCAugSemanticSegmentationDataset(voc, sbd, 'trainaug')
    assert len(d) == 4 and d.ids == TRAINAUG
    assert d.n_class == 21 and len(d.label_names) == 21
    for i, name in enumerate(d.ids):
        img, label = d[i]
        # images always from VOC's JPEGImages, never SBD's img/
        layouts.assert_image(img, layouts.image_for('voc' + name))
        assert label.dtype == numpy.int32 and label.shape == layouts.SIZE
        # VOC's PNG wins over SBD's .mat when both exist
        source = 'voc' if name in VOC_TRAIN else 'sbd'
        numpy.testing.assert_array_equal(
            label, layouts.expected_label(layouts.label_for(source + name)))
        assert (label[0] == -1).all() and label[1:].min() >= 0


def test_sbd_root_folder_is_accepted(dirs):
    voc, sbd = dirs
    d = VOCAugSemanticSegmentationDataset(voc, os.path.dirname(sbd))
    assert d.ids == TRAINAUG and d.sbd_dir == sbd


@pytest.mark.parametrize('split,ids', [
    ('train', VOC_TRAIN), ('val', VOC_VAL),
    ('trainval', sorted(VOC_TRAIN + VOC_VAL))])
def test_voc_splits(dirs, split, ids):
    voc, _ = dirs
    # no SBD needed; a list_file is ignored
    d = VOCAugSemanticSegmentationDataset(voc, split=split,
                                          list_file='/nowhere')
    assert d.ids == ids
    for i, name in enumerate(ids):
        img, label = d[i]
        layouts.assert_image(img, layouts.image_for('voc' + name))
        numpy.testing.assert_array_equal(
            label, layouts.expected_label(layouts.label_for('voc' + name)))


def test_list_file(dirs, tmp_path):
    voc, sbd = dirs
    path = str(tmp_path / 'train_aug.txt')
    layouts.write_lines(path, [
        '/JPEGImages/2010_000005.jpg /SegmentationClassAug/2010_000005.png',
        '', '2007_000032'])
    d = VOCAugSemanticSegmentationDataset(voc, sbd, list_file=path)
    assert d.ids == ['2010_000005', '2007_000032']
    numpy.testing.assert_array_equal(d[0][1], layouts.expected_label(
        layouts.label_for('sbd2010_000005')))
    numpy.testing.assert_array_equal(d[1][1], layouts.expected_label(
        layouts.label_for('voc2007_000032')))
    missing = str(tmp_path / 'no_list.txt')
    with pytest.raises(FileNotFoundError) as e:
        VOCAugSemanticSegmentationDataset(voc, sbd, list_file=missing)
    assert missing in str(e.value)


def test_missing_directories_say_which_and_how(dirs, tmp_path):
    voc, sbd = dirs
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError) as e:
        VOCAugSemanticSegmentationDataset(missing, sbd)
    assert missing in str(e.value) and 'does not exist' in str(e.value)
    assert 'voc2012/VOCtrainval_11-May-2012.tar' in str(e.value)
    assert 'VOCdevkit/VOC2012' in str(e.value)
    with pytest.raises(FileNotFoundError) as e:
        VOCAugSemanticSegmentationDataset(voc, missing)
    assert missing in str(e.value) and 'benchmark.tgz' in str(e.value)
    assert 'benchmark_RELEASE/dataset' in str(e.value)
    with pytest.raises(FileNotFoundError) as e:
        VOCAugSemanticSegmentationDataset(voc, None, 'trainaug')
    assert 'SBD' in str(e.value) and 'benchmark.tgz' in str(e.value)
    # the parent of the right folder: names the missing entry
    with pytest.raises(FileNotFoundError) as e:
        VOCAugSemanticSegmentationDataset(os.path.dirname(voc), sbd)
    assert 'has no JPEGImages' in str(e.value)
    assert 'VOCdevkit/VOC2012 folder' in str(e.value)


@pytest.mark.parametrize('entry', [
    'SegmentationClass', os.path.join('ImageSets', 'Segmentation',
                                      'val.txt')])
def test_missing_voc_entry_is_named(dirs, entry):
    voc, sbd = dirs
    path = os.path.join(voc, entry)
    os.rename(path, path + '.moved')
    with pytest.raises(FileNotFoundError) as e:
        VOCAugSemanticSegmentationDataset(voc, sbd)
    assert path in str(e.value) and 'VOCtrainval_11-May-2012' in str(e.value)


def test_bad_split(dirs):
    voc, sbd = dirs
    with pytest.raises(ValueError, match='trainaug'):
        VOCAugSemanticSegmentationDataset(voc, sbd, 'test')


def test_bad_label_names_file_and_values(dirs):
    voc, sbd = dirs
    path = os.path.join(voc, 'SegmentationClass', VOC_TRAIN[0] + '.png')
    bad = layouts.label_for('x')
    bad[2, 2] = 37
    layouts.write_palette_png(path, bad)
    d = VOCAugSemanticSegmentationDataset(voc, sbd)
    with pytest.raises(ValueError) as e:
        d[0]
    layouts.assert_one_line_error(e.value, path, '[37]', '[0, 21)')
    mat = os.path.join(sbd, 'cls', '2010_000005.mat')
    bad[2, 2] = 21
    layouts.write_sbd_mat(mat, bad)
    with pytest.raises(ValueError) as e:
        d[3]
    layouts.assert_one_line_error(e.value, mat, '[21]', '[0, 21)')


def test_unreadable_files_are_named(dirs):
    voc, sbd = dirs
    d = VOCAugSemanticSegmentationDataset(voc, sbd)
    img = os.path.join(voc, 'JPEGImages', VOC_TRAIN[0] + '.jpg')
    layouts.write_garbage(img, b'\xff\xd8')
    layouts.assert_unreadable(d, 0, 'cannot read image', img)
    png = os.path.join(voc, 'SegmentationClass', VOC_TRAIN[1] + '.png')
    layouts.write_garbage(png, b'\x89PNG\r\n\x1a\n')
    layouts.assert_unreadable(d, 1, 'cannot read label', png)
    mat = os.path.join(sbd, 'cls', '2010_000005.mat')
    layouts.write_garbage(mat, b'MATLAB 5.0 MAT-file')
    with pytest.raises(IOError) as e:
        d[3]
    assert 'cannot read SBD label' in str(e.value) and mat in str(e.value)
    # an id without any label: both candidates are named
    os.remove(mat)
    with pytest.raises(IOError) as e:
        d[3]
    layouts.assert_one_line_error(e.value, mat, os.path.join(
        voc, 'SegmentationClass', '2010_000005.png'))


@pytest.mark.parametrize('split,index', [
    ('train', 0), ('val', 1), ('trainaug', 1), ('trainaug', 3)])
def test_label_of_another_size_names_both_files(dirs, split, index):
    voc, sbd = dirs
    d = VOCAugSemanticSegmentationDataset(voc, sbd, split)
    name = d.ids[index]
    img = os.path.join(voc, 'JPEGImages', name + '.jpg')
    label = os.path.join(voc, 'SegmentationClass', name + '.png')
    if os.path.exists(label):
        # a VOC PNG (trainaug's 2008_000002 too): the image was resized
        layouts.write_jpeg(img, layouts.image_for('voc' + name, (5, 7)))
        sizes = ('is 8x6 (WxH)', 'is 7x5')
    else:
        # trainaug's 2010_000005: the label from SBD's .mat
        label = os.path.join(sbd, 'cls', name + '.mat')
        layouts.write_sbd_mat(label, layouts.label_for('x', (7, 9)))
        sizes = ('is 9x7 (WxH)', 'is 8x6')
    message = layouts.assert_size_mismatch(d, index, label, img)
    assert all(size in message for size in sizes), message
    # the other examples are fine
    for i in range(len(d)):
        if i != index:
            d[i]


def test_rgba_grey_and_palette_images_are_read_as_rgb(dirs):
    voc, sbd = dirs
    d = VOCAugSemanticSegmentationDataset(voc, sbd)
    rgb = layouts.image_for('rgba')
    # a PNG under the .jpg name: PIL reads a file by its content
    rgba = layouts.write_rgba_png(
        os.path.join(voc, 'JPEGImages', d.ids[0] + '.jpg'), rgb)
    assert rgba.shape == layouts.SIZE + (4,) and rgba[..., 3].std() > 0
    img, label = d[0]
    # the alpha channel is dropped, the RGB channels are kept exactly
    assert img.dtype == numpy.float32
    numpy.testing.assert_array_equal(img, rgb.transpose(2, 0, 1))
    numpy.testing.assert_array_equal(label, layouts.expected_label(
        layouts.label_for('voc' + d.ids[0])))
    # an SBD-labelled id: the same
    layouts.write_rgba_png(os.path.join(voc, 'JPEGImages', d.ids[3] + '.jpg'),
                           rgb)
    numpy.testing.assert_array_equal(d[3][0], rgb.transpose(2, 0, 1))
    # greyscale and palette images: three equal / palette-mapped channels
    grey = rgb[..., 0]
    path = os.path.join(voc, 'JPEGImages', d.ids[1] + '.jpg')
    PIL.Image.fromarray(grey, mode='L').save(path, 'PNG')
    numpy.testing.assert_array_equal(d[1][0], numpy.stack([grey] * 3))
    path = os.path.join(voc, 'JPEGImages', d.ids[2] + '.jpg')
    PIL.Image.fromarray(rgb).quantize(16).save(path, 'PNG')
    with PIL.Image.open(path) as f:
        assert f.mode == 'P'
        expected = numpy.asarray(f.convert('RGB')).transpose(2, 0, 1)
    numpy.testing.assert_array_equal(d[2][0], expected)


@pytest.mark.parametrize('damage,expected', [
    (layouts.write_truncated_jpeg, 'image file is truncated'),
    (layouts.write_empty, 'the file is empty (0 bytes)')])
def test_truncated_or_empty_image_is_a_one_line_error(dirs, damage,
                                                      expected):
    voc, sbd = dirs
    d = VOCAugSemanticSegmentationDataset(voc, sbd)
    img = os.path.join(voc, 'JPEGImages', d.ids[0] + '.jpg')
    damage(img)
    message = layouts.assert_unreadable(d, 0, 'cannot read image', img)
    assert expected in message and 'extract it again' in message


def test_a_truncated_jpeg_is_refused_not_padded(dirs):
    # the header is whole, so PIL opens it; decoding must fail, never
    # fill the missing rows with grey
    voc, _ = dirs
    d = VOCAugSemanticSegmentationDataset(voc, split='val')
    img = os.path.join(voc, 'JPEGImages', d.ids[0] + '.jpg')
    layouts.write_truncated_jpeg(img)
    with PIL.Image.open(img) as f:
        assert f.size == (64, 48)
    layouts.assert_unreadable(d, 0, 'image file is truncated', img)
    # the JPEG header of a tiny image cut in half: refused too
    layouts.write_jpeg(img, layouts.image_for('voc' + d.ids[0]))
    with open(img, 'rb') as f:
        data = f.read()
    with open(img, 'wb') as f:
        f.write(data[:len(data) // 2])
    layouts.assert_unreadable(d, 0, 'cannot read image', img)


@pytest.mark.parametrize('kind', ['png', 'mat'])
def test_empty_label_is_a_one_line_error(dirs, kind):
    voc, sbd = dirs
    d = VOCAugSemanticSegmentationDataset(voc, sbd)
    if kind == 'png':
        index, path = 0, os.path.join(voc, 'SegmentationClass',
                                      d.ids[0] + '.png')
    else:
        index, path = 3, os.path.join(sbd, 'cls', d.ids[3] + '.mat')
    layouts.write_empty(path)
    message = layouts.assert_unreadable(d, index, 'cannot read', path)
    assert 'the file is empty (0 bytes)' in message
