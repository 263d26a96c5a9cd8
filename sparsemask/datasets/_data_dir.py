"""Checks shared by the real data set loaders: data directories, image and
label files, label values. Every error names the file or directory."""

import os

import numpy

from chainercv.utils import read_image
from chainercv.utils import read_label


def check_dir(path, what, how, expected=()):
    """Checks that a data directory and its expected entries exist.

    Args:
        path (str): the directory.
        what (str): the data set, e.g. ``'PASCAL VOC 2012'``.
        how (str): how to obtain it and which folder to pass.
        expected (sequence of str): paths relative to ``path`` that must
            exist.

    Returns:
        str: ``path``, expanded.

    """
    if path is None:
        raise FileNotFoundError('no data directory given for {}. {}'.format(
            what, how))
    path = os.path.expanduser(path)
    if not os.path.isdir(path):
        raise FileNotFoundError(
            '{} data directory {} does not exist. {}'.format(what, path, how))
    for entry in expected:
        if not os.path.exists(os.path.join(path, entry)):
            raise FileNotFoundError(
                '{} data directory {} has no {}: is it the right folder? '
                '{}'.format(what, path, entry, how))
    return path


def read_ids(path):
    """Reads a list of ids (one per line; the stem of the first token).

    Args:
        path (str): the list file.

    Returns:
        list of str: the ids.

    """
    with open(path) as f:
        return [os.path.splitext(os.path.basename(line.split()[0]))[0]
                for line in f if line.strip()]


def read_image_file(path):
    """Reads a CHW RGB float32 image; the error names an unreadable file.

    Args:
        path (str): the image file.

    Returns:
        numpy.ndarray: the image.

    """
    try:
        return read_image(path, dtype=numpy.float32, color=True)
    except Exception as e:
        raise IOError('cannot read image {}: {}'.format(path, e)) from e


def check_label(label, n_class, path, ignore=255):
    """Checks raw label values: ``[0, n_class)`` or ``ignore``.

    Args:
        label (numpy.ndarray): the raw label map.
        n_class (int): the number of classes.
        path (str): the file, for the message.
        ignore (int): the raw ignore value.

    Returns:
        numpy.ndarray: int32 labels with ``ignore`` mapped to -1.

    """
    label = numpy.asarray(label, dtype=numpy.int32)
    bad = (label < 0) | ((label >= n_class) & (label != ignore))
    if bad.any():
        raise ValueError(
            'label file {} has values {} outside [0, {}) that are not {} '
            '(ignore)'.format(path, sorted(set(label[bad].tolist()))[:10],
                              n_class, ignore))
    label[label == ignore] = -1
    return label


def read_label_file(path, n_class, ignore=255):
    """Reads and checks a label PNG (palette or grey).

    Args:
        path (str): the label file.
        n_class (int): the number of classes.
        ignore (int): the raw ignore value.

    Returns:
        numpy.ndarray: int32 labels, -1 where ignored.

    """
    try:
        label = read_label(path, dtype=numpy.int32)
    except Exception as e:
        raise IOError('cannot read label {}: {}'.format(path, e)) from e
    return check_label(label, n_class, path, ignore)
