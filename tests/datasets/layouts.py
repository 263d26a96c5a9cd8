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


# MSRA-B: MSRA-B.zip (<id>.jpg and <id>.png side by side) with DRFI's split
# lists, or NLDF's image/ + annotation/ variant

MSRAB_SPLITS = {'train': ['0_1_1339', '0_24_24071', '1_45_45397'],
                'val': ['2_53_53011', '3_95_95085'],
                'test': ['4_118_118522', '5_133_133906']}
MSRAB_LISTS = {'train': 'train_cvpr2013.txt', 'val': 'valid_cvpr2013.txt',
               'test': 'test_cvpr2013.txt'}
# the k-th id of a split has a mask PNG of mode MSRAB_MASK_MODES[k % 3]
MSRAB_MASK_MODES = ('L', 'RGB', 'P')


def msrab_mask_for(name, size=SIZE):
    """The boolean saliency mask written for ``name``: random pixels, with
    both values present."""
    mask = _rng('msrab' + name).rand(*size) < 0.4
    mask[0, 0], mask[0, 1] = True, False
    return mask


def write_mask_png(path, mask, mode='L'):
    """A 0/255 saliency mask PNG: greyscale (``'L'``), RGB (white on black)
    or palette (``'P'``: index 0 black, index 1 white, the pixel values are
    the indices 0 and 1)."""
    _makedirs(path)
    mask = numpy.asarray(mask, dtype=bool)
    if mode == 'L':
        img = PIL.Image.fromarray(mask.astype(numpy.uint8) * 255, mode='L')
    elif mode == 'RGB':
        img = PIL.Image.fromarray(
            numpy.repeat(mask[:, :, None], 3, axis=2).astype(numpy.uint8) *
            255, mode='RGB')
    elif mode == 'P':
        img = PIL.Image.fromarray(mask.astype(numpy.uint8), mode='P')
        img.putpalette([0, 0, 0, 255, 255, 255] + [0, 0, 0] * 254)
    else:
        raise ValueError(mode)
    img.save(path)


def msrab_files(root, name, layout='flat'):
    """``(image path, mask path)`` of ``name`` in an MSRA-B folder."""
    if layout == 'flat':
        return (os.path.join(root, name + '.jpg'),
                os.path.join(root, name + '.png'))
    return (os.path.join(root, 'image', name + '.jpg'),
            os.path.join(root, 'annotation', name + '.png'))


def make_msrab(root, splits=MSRAB_SPLITS, layout='flat', list_ext='.jpg'):
    """Writes ``root`` = MSRA-B: the split lists (``<id><list_ext>`` per
    line, as DRFI's ``0_1_1339.jpg``), images (``image_for('msrab' +
    id)``) and masks (``msrab_mask_for(id)``, PNG modes cycling through
    ``MSRAB_MASK_MODES``), side by side (``layout='flat'``, as
    ``MSRA-B.zip``) or in ``image/`` and ``annotation/``
    (``layout='nldf'``)."""
    for split, ids in splits.items():
        write_lines(os.path.join(root, MSRAB_LISTS[split]),
                    [i + list_ext for i in ids])
        for k, i in enumerate(ids):
            image, mask = msrab_files(root, i, layout)
            write_jpeg(image, image_for('msrab' + i))
            write_mask_png(mask, msrab_mask_for(i),
                           MSRAB_MASK_MODES[k % len(MSRAB_MASK_MODES)])
    return root


# BSDS500: BSR/BSDS500/data of BSR_bsds500.tgz

BSDS500_IDS = {'train': ['100075', '12003', '2092'], 'val': ['101085', '3096'],
               'test': ['100007', '2018']}


def bsds500_boundaries_for(name, size=SIZE):
    """The annotators' boundary maps written for ``name``: 3 to 6 uint8 maps
    of 0 and 1 (BSDS500 has 4 to 9 annotators per image)."""
    rng = _rng('bsds' + name)
    return [(rng.rand(*size) < 0.3).astype(numpy.uint8)
            for _ in range(rng.randint(3, 7))]


def write_bsds_mat(path, boundaries, segmentations=None):
    """A ``groundTruth/<split>/<id>.mat`` as BSDS500 ships it: the variable
    ``groundTruth``, a 1xK cell of structs with the fields
    ``Segmentation`` (uint16 region indices) and ``Boundaries`` (logical),
    one per annotator."""
    _makedirs(path)
    cell = numpy.empty((1, len(boundaries)), dtype=object)
    for k, b in enumerate(boundaries):
        seg = segmentations[k] if segmentations is not None else \
            1 + numpy.cumsum(b, axis=1) % 5
        cell[0, k] = {'Segmentation': numpy.asarray(seg, numpy.uint16),
                      'Boundaries': numpy.asarray(b, dtype=bool)}
    scipy.io.savemat(path, {'groundTruth': cell})


def bsds500_files(root, split, name):
    """``(image path, ground truth path)`` of ``name`` in BSDS500."""
    return (os.path.join(root, 'images', split, name + '.jpg'),
            os.path.join(root, 'groundTruth', split, name + '.mat'))


def make_bsds500(root, ids=BSDS500_IDS):
    """Writes ``root`` = BSR/BSDS500/data: ``images/<split>/<id>.jpg``
    (``image_for('bsds' + id)``) plus a ``Thumbs.db`` in each image folder,
    as in the archive, and ``groundTruth/<split>/<id>.mat``
    (``bsds500_boundaries_for(id)``)."""
    for split, names in ids.items():
        for name in names:
            image, gt = bsds500_files(root, split, name)
            write_jpeg(image, image_for('bsds' + name))
            write_bsds_mat(gt, bsds500_boundaries_for(name))
        write_garbage(os.path.join(root, 'images', split, 'Thumbs.db'))
    return root
