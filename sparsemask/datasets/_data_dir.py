"""Checks shared by the real data set loaders: data directories, list
files, image and label files, label values. Every error names the file or
directory it is about."""

import os

import numpy

from chainercv.utils import read_image
from chainercv.utils import read_label


def resolve_dir(path, child):
    """Steps into ``child`` when ``path`` is the parent of the data folder.

    For instance SBD's ``benchmark_RELEASE`` holds the data in
    ``benchmark_RELEASE/dataset``; ADE20K's download folder holds
    ``ADEChallengeData2016``.

    Args:
        path (str or None): the folder that was passed.
        child (str): the name of the data folder inside it.

    Returns:
        str or None: ``path/child`` if that folder exists, else ``path``
        (expanded).

    """
    if path is None:
        return None
    path = os.path.expanduser(str(path))
    if os.path.isdir(os.path.join(path, child)):
        return os.path.join(path, child)
    return path


def check_dir(path, what, how, expected=()):
    """Checks that a data directory and its expected entries exist.

    Args:
        path (str or None): the directory.
        what (str): the data set, e.g. ``'PASCAL VOC 2012'``.
        how (str): how to obtain it and which folder to pass.
        expected (sequence of str): paths relative to ``path`` that must
            exist (sub-folders, list files).

    Returns:
        str: ``path``, expanded.

    Raises:
        FileNotFoundError: naming the missing directory or entry, with
            ``how``.

    """
    if path is None:
        raise FileNotFoundError('no data directory given for {}. {}'.format(
            what, how))
    path = os.path.expanduser(str(path))
    if not os.path.isdir(path):
        raise FileNotFoundError(
            '{} data directory {} does not exist. {}'.format(what, path, how))
    for entry in expected:
        if not os.path.exists(os.path.join(path, entry)):
            raise FileNotFoundError(
                '{} data directory {} has no {} ({} is missing): is it the '
                'right folder? {}'.format(what, path, entry,
                                          os.path.join(path, entry), how))
    return path


def read_ids(path):
    """Reads a list of ids: one per line, the stem of the line's first token.

    Lines may be ``<id>`` (VOC, SBD) or DeepLab's
    ``/JPEGImages/<id>.jpg /SegmentationClassAug/<id>.png``; blank lines
    are skipped.

    Args:
        path (str): the list file.

    Returns:
        list of str: the ids, in file order.

    """
    with open(path) as f:
        return [os.path.splitext(os.path.basename(line.split()[0]))[0]
                for line in f if line.strip()]


def read_image_file(path):
    """Reads an image as float32 CHW RGB; the error names an unreadable file.

    Args:
        path (str): the image file.

    Returns:
        numpy.ndarray: the image, shape ``(3, H, W)``, values in [0, 255].

    Raises:
        IOError: naming ``path``, from the reader's exception.

    """
    try:
        return read_image(path, dtype=numpy.float32, color=True)
    except Exception as e:
        raise IOError('cannot read image {}: {}: {}'.format(
            path, type(e).__name__, e)) from e


def check_label(label, n_class, path, ignore=255):
    """Checks raw label values: ``[0, n_class)`` or ``ignore``.

    Args:
        label (numpy.ndarray): the raw label map, shape ``(H, W)``.
        n_class (int): the number of classes.
        path (str): the file, for the message.
        ignore (int or None): the raw ignore value; ``None`` if the files
            have none.

    Returns:
        numpy.ndarray: a new int32 array, ``ignore`` mapped to -1.

    Raises:
        ValueError: naming ``path`` and the offending values.

    """
    label = numpy.array(label, dtype=numpy.int32)
    if label.ndim != 2:
        raise ValueError('label file {} holds an array of shape {}, not a '
                         '2-D label map'.format(path, label.shape))
    bad = (label < 0) | (label >= n_class)
    if ignore is not None:
        bad &= label != ignore
    if bad.any():
        values = numpy.unique(label[bad])
        raise ValueError(
            'label file {} has values {}{} outside [0, {}){} ({} pixels)'
            .format(path, values[:10].tolist(),
                    ' ...' if len(values) > 10 else '', n_class,
                    '' if ignore is None else
                    ' that are not {} (ignore)'.format(ignore),
                    int(bad.sum())))
    if ignore is not None:
        label[label == ignore] = -1
    return label


def read_label_file(path, n_class, ignore=255):
    """Reads and checks a label PNG (palette, as VOC's, or grey, as
    ADE20K's: the pixel values are the class indices).

    Args:
        path (str): the label file.
        n_class (int): the number of classes.
        ignore (int or None): the raw ignore value.

    Returns:
        numpy.ndarray: int32 labels, -1 where ignored.

    Raises:
        IOError: naming an unreadable ``path``.
        ValueError: naming ``path`` and values outside the classes.

    """
    try:
        label = read_label(path, dtype=numpy.int32)
    except Exception as e:
        raise IOError('cannot read label {}: {}: {}'.format(
            path, type(e).__name__, e)) from e
    return check_label(label, n_class, path, ignore)
