"""Writers of tiny data sets in the real on-disk layouts of PASCAL VOC 2012
(``VOCdevkit/VOC2012``), SBD (``benchmark_RELEASE/dataset``), ADE20K
(``ADEChallengeData2016``) and a folder data set (``dataset.name:
folder``), and checks of what a loader returns against what was written.

Images and labels are deterministic functions of a name (``image_for``,
``label_for``), so a test can recompute what a file holds."""

import os
import zlib

import numpy
import PIL.Image
import pytest
import scipy.io
import scipy.sparse

SIZE = (6, 8)
# JPEG at quality 100 without chroma subsampling: a decoded pixel is within
# a few levels of the written one (a swapped channel order is ~85 off).
JPEG_ATOL = 8


def _rng(name):
    return numpy.random.RandomState(zlib.crc32(name.encode()))


def image_for(name, size=SIZE):
    """The HWC uint8 RGB image written for ``name``."""
    return _rng('img' + name).randint(0, 256, size + (3,)).astype(
        numpy.uint8)


def label_for(name, size=SIZE, n_class=21):
    """The raw label written for ``name``: values in [0, n_class), a first
    row of 255 (VOC's border / ignore)."""
    label = _rng('label' + name).randint(0, n_class, size)
    label[0] = 255
    return label.astype(numpy.uint8)


def assert_image(img, written, atol=JPEG_ATOL):
    """``img`` (a loader's float32 CHW RGB) is ``written`` (HWC RGB) read
    back from a JPEG."""
    assert img.dtype == numpy.float32
    assert img.shape == (3,) + written.shape[:2]
    numpy.testing.assert_allclose(
        img, written.transpose(2, 0, 1).astype(numpy.float32), atol=atol)


def expected_label(raw):
    """A raw label as the loaders return it: int32, 255 -> -1."""
    raw = raw.astype(numpy.int32)
    raw[raw == 255] = -1
    return raw


def _makedirs(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)


def write_jpeg(path, img):
    _makedirs(path)
    PIL.Image.fromarray(img).save(path, 'JPEG', quality=100, subsampling=0)


def write_palette_png(path, label):
    """A label PNG like VOC's SegmentationClass: mode 'P', VOC's colour map
    (255 -> (224, 224, 192)), pixel values = class indices."""
    _makedirs(path)
    img = PIL.Image.fromarray(label.astype(numpy.uint8), mode='P')
    palette = numpy.zeros((256, 3), numpy.uint8)
    for k in range(256):
        c, r, g, b = k, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette[k] = (r, g, b)
    palette[255] = (224, 224, 192)
    img.putpalette(palette.ravel().tolist())
    img.save(path)


def write_grey_png(path, label):
    """A label PNG like ADE20K's annotations: mode 'L'."""
    _makedirs(path)
    PIL.Image.fromarray(label.astype(numpy.uint8), mode='L').save(path)


def write_sbd_mat(path, label):
    """A ``cls/<id>.mat`` as SBD ships it: a MATLAB struct ``GTcls`` with
    the fields ``Segmentation`` (uint8 HxW), ``Boundaries`` (a 20x1 cell
    of sparse edge maps) and ``CategoriesPresent``."""
    _makedirs(path)
    boundaries = numpy.empty((20, 1), dtype=object)
    for k in range(20):
        boundaries[k, 0] = scipy.sparse.csc_matrix(
            (label == k + 1).astype(numpy.float64))
    present = numpy.unique(label[(label > 0) & (label < 255)])
    scipy.io.savemat(path, {'GTcls': {
        'Segmentation': label.astype(numpy.uint8),
        'Boundaries': boundaries,
        'CategoriesPresent': present.astype(numpy.uint8)}})


def write_lines(path, lines):
    _makedirs(path)
    with open(path, 'w') as f:
        f.write(''.join(line + '\n' for line in lines))


def write_garbage(path, head=b''):
    """A truncated / corrupt file in place of ``path``."""
    with open(path, 'wb') as f:
        f.write(head + b'\x00 truncated')


def make_voc(root, train, val, images=()):
    """Writes ``root`` = VOCdevkit/VOC2012: the segmentation lists,
    ``JPEGImages`` for train, val and ``images`` (``image_for('voc' +
    id)``), ``SegmentationClass`` PNGs for train and val (``label_for(
    'voc' + id)``)."""
    seg = os.path.join(root, 'ImageSets', 'Segmentation')
    write_lines(os.path.join(seg, 'train.txt'), train)
    write_lines(os.path.join(seg, 'val.txt'), val)
    write_lines(os.path.join(seg, 'trainval.txt'), sorted(train + val))
    for i in sorted(set(train) | set(val) | set(images)):
        write_jpeg(os.path.join(root, 'JPEGImages', i + '.jpg'),
                   image_for('voc' + i))
    for i in train + val:
        write_palette_png(os.path.join(root, 'SegmentationClass', i + '.png'),
                          label_for('voc' + i))
    return root


def make_sbd(root, train, val):
    """Writes ``root`` = benchmark_RELEASE/dataset: ``train.txt``,
    ``val.txt``, ``img/<id>.jpg`` (``image_for('sbd' + id)``) and
    ``cls/<id>.mat`` (``label_for('sbd' + id)``)."""
    write_lines(os.path.join(root, 'train.txt'), train)
    write_lines(os.path.join(root, 'val.txt'), val)
    for i in train + val:
        write_jpeg(os.path.join(root, 'img', i + '.jpg'),
                   image_for('sbd' + i))
        write_sbd_mat(os.path.join(root, 'cls', i + '.mat'),
                      label_for('sbd' + i))
    return root


def ade20k_label_for(name):
    """The raw ADE20K annotation for ``name``: values 0..150, both ends
    present."""
    label = _rng('ade' + name).randint(0, 151, SIZE)
    label[0, 0], label[0, 1] = 0, 150
    return label.astype(numpy.uint8)


def ade20k_names(split, n):
    return ['ADE_{}_{:08d}'.format(split, k + 1) for k in range(n)]


def make_ade20k(root, n_train=3, n_val=2):
    """Writes ``root`` = ADEChallengeData2016: ``images/{training,
    validation}/ADE_*.jpg`` and ``annotations/.../ADE_*.png`` (mode 'L')."""
    for split, sub, n in (('train', 'training', n_train),
                          ('val', 'validation', n_val)):
        for name in ade20k_names(split, n):
            write_jpeg(os.path.join(root, 'images', sub, name + '.jpg'),
                       image_for('ade' + name))
            write_grey_png(
                os.path.join(root, 'annotations', sub, name + '.png'),
                ade20k_label_for(name))
    return root


FOLDER_CLASSES = ('background', 'road', 'car')
FOLDER_SPLITS = {'train': ['a0', 'a1', 'a2', 'a3'], 'val': ['b0', 'b1']}
# the k-th id (in sorted order) of a folder data set has the image
# extension FOLDER_IMAGE_EXTENSIONS[k % 3] and a palette ('P') label if k is
# even, else a grey ('L') one
FOLDER_IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg')


def folder_label_for(name, size=SIZE, n_class=len(FOLDER_CLASSES)):
    """The raw label written for ``name`` in a folder data set: values in
    [0, n_class), a first row of 255 (ignore)."""
    return label_for('folder' + name, size, n_class)


def folder_files(root, splits=FOLDER_SPLITS):
    """``{id: (image path, label path, label mode)}`` of a folder data set
    written by :func:`write_folder`."""
    ids = sorted({i for ids in splits.values() for i in ids})
    return {i: (os.path.join(root, 'images',
                             i + FOLDER_IMAGE_EXTENSIONS[k % 3]),
                os.path.join(root, 'labels', i + '.png'),
                'L' if k % 2 else 'P')
            for k, i in enumerate(ids)}


def write_folder(root, splits=FOLDER_SPLITS, classes=FOLDER_CLASSES,
                 size=SIZE):
    """Writes ``root``, a folder data set: ``classes.txt``, ``<split>.txt``
    for each split of ``splits`` (``{split: ids}``), ``images/<id>.<ext>``
    (``image_for('folder' + id)``; PNG, JPEG and ``.jpeg``, see
    :func:`folder_files`) and ``labels/<id>.png`` (``folder_label_for(id)``;
    palette and grey PNGs)."""
    write_lines(os.path.join(root, 'classes.txt'), list(classes))
    for split, ids in splits.items():
        write_lines(os.path.join(root, split + '.txt'), ids)
    for i, (image, label, mode) in folder_files(root, splits).items():
        img = image_for('folder' + i, size)
        if image.endswith('.png'):
            _makedirs(image)
            PIL.Image.fromarray(img).save(image)
        else:
            write_jpeg(image, img)
        raw = folder_label_for(i, size, len(classes))
        if mode == 'P':
            write_palette_png(label, raw)
        else:
            write_grey_png(label, raw)
    return root


def write_truncated(path):
    """Cuts the file ``path`` to the first half of its bytes."""
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])


def write_truncated_jpeg(path, size=(48, 64)):
    """In place of ``path``: the first half of the bytes of a valid JPEG
    of ``image_for(path, size)``, as an interrupted download or extraction
    leaves it. The header is whole (the size can be read); the cut is in
    the compressed data."""
    write_jpeg(path, image_for(path, size))
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])


def write_empty(path):
    """A zero-byte file in place of ``path``."""
    open(path, 'wb').close()


def write_rgba_png(path, rgb):
    """A PNG (whatever the extension of ``path``) holding ``rgb`` (HWC
    uint8) plus a varying alpha channel; returns the RGBA array."""
    _makedirs(path)
    alpha = _rng('alpha' + path).randint(0, 256, rgb.shape[:2] + (1,))
    rgba = numpy.concatenate([rgb, alpha.astype(numpy.uint8)], axis=2)
    PIL.Image.fromarray(rgba, mode='RGBA').save(path, 'PNG')
    return rgba


def assert_one_line_error(error, *names):
    """``error`` (an exception) has a one-line message naming ``names``."""
    message = str(error)
    assert '\n' not in message, message
    for name in names:
        assert name in message, message
    return message


def assert_unreadable(dataset, index, what, path):
    """Reading ``dataset[index]`` raises an IOError whose message is one
    line that says ``what`` and names ``path``, and chains the underlying
    error."""
    with pytest.raises(IOError) as e:
        dataset[index]
    assert_one_line_error(e.value, what, path)
    assert e.value.__cause__ is not None
    return str(e.value)


def assert_size_mismatch(dataset, index, label_path, image_path):
    """Reading the label of ``dataset[index]``, with its image or alone,
    raises a one-line ValueError naming both files; the image alone is
    still readable."""
    with pytest.raises(ValueError) as e:
        dataset[index]
    message = assert_one_line_error(e.value, label_path, image_path)
    with pytest.raises(ValueError) as e:
        dataset.slice[:, 'label'][index]
    assert str(e.value) == message
    dataset.slice[:, 'img'][index]
    return message
