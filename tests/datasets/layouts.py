"""Writers of tiny data sets in the real on-disk layouts of VOC 2012, SBD
and ADE20K."""

import os

import numpy
import PIL.Image
import scipy.io


def write_jpeg(path, rng, size=(6, 8)):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img = rng.randint(0, 256, size + (3,)).astype(numpy.uint8)
    PIL.Image.fromarray(img).save(path, quality=95)


def write_palette_png(path, label):
    """A label PNG like VOC's: mode 'P' with the VOC palette."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img = PIL.Image.fromarray(label.astype(numpy.uint8), mode='P')
    palette = numpy.zeros((256, 3), numpy.uint8)
    palette[:21] = numpy.random.RandomState(0).randint(0, 256, (21, 3))
    palette[255] = (224, 224, 192)
    img.putpalette(palette.ravel().tolist())
    img.save(path)


def write_sbd_mat(path, label):
    """A ``cls/<id>.mat`` as SBD ships it: struct GTcls with Segmentation,
    Boundaries and CategoriesPresent."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    scipy.io.savemat(path, {'GTcls': {
        'Segmentation': label.astype(numpy.uint8),
        'Boundaries': numpy.zeros((21, 1), dtype=object),
        'CategoriesPresent': numpy.unique(label[label < 255]).astype(
            numpy.uint8)}})


def write_lines(path, ids):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(''.join(i + '\n' for i in ids))


def label_for(name, size=(6, 8), n_class=21):
    """A deterministic label for an id (with a 255 border)."""
    rng = numpy.random.RandomState(abs(hash(name)) % (1 << 31))
    label = rng.randint(0, n_class, size)
    label[0] = 255
    return label


def make_voc(root, train, val, images=()):
    """``root`` is VOCdevkit/VOC2012; JPEGs for train, val and ``images``,
    label PNGs for train and val."""
    rng = numpy.random.RandomState(0)
    seg = os.path.join(root, 'ImageSets', 'Segmentation')
    write_lines(os.path.join(seg, 'train.txt'), train)
    write_lines(os.path.join(seg, 'val.txt'), val)
    write_lines(os.path.join(seg, 'trainval.txt'), train + val)
    for i in sorted(set(train) | set(val) | set(images)):
        write_jpeg(os.path.join(root, 'JPEGImages', i + '.jpg'), rng)
    for i in train + val:
        write_palette_png(os.path.join(root, 'SegmentationClass', i + '.png'),
                          label_for('voc' + i))
    return root


def make_sbd(root, train, val):
    """``root`` is benchmark_RELEASE/dataset."""
    rng = numpy.random.RandomState(1)
    write_lines(os.path.join(root, 'train.txt'), train)
    write_lines(os.path.join(root, 'val.txt'), val)
    for i in train + val:
        write_jpeg(os.path.join(root, 'img', i + '.jpg'), rng)
        write_sbd_mat(os.path.join(root, 'cls', i + '.mat'),
                      label_for('sbd' + i))
    return root


def make_ade20k(root, n_train=3, n_val=2):
    """``root`` is ADEChallengeData2016."""
    rng = numpy.random.RandomState(2)
    for split, sub, n in (('train', 'training', n_train),
                          ('val', 'validation', n_val)):
        for k in range(n):
            name = 'ADE_{}_{:08d}'.format(split, k + 1)
            write_jpeg(os.path.join(root, 'images', sub, name + '.jpg'), rng)
            label = rng.randint(0, 151, (6, 8)).astype(numpy.uint8)
            path = os.path.join(root, 'annotations', sub, name + '.png')
            os.makedirs(os.path.dirname(path), exist_ok=True)
            PIL.Image.fromarray(label).save(path)
    return root
