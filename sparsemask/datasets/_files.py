"""What the data sets on disk share: finding their data directory,
checking a split, listing ids (from a list file or a folder), finding the
files of the ids, reading images and labels, and checking labels (size and
values). A data set keeps only its layout (see
:class:`~sparsemask.datasets._image_label_dataset.ImageLabelDataset`).
Every error is one line (for the scripts' ``error:`` line) that names the
file or directory it is about."""

import os

import numpy
import PIL.Image

import chainer
from chainercv.utils import read_image
from chainercv.utils import read_label

from sparsemask.utils.one_line import one_line


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


def check_split(split, splits, what):
    """Checks that ``split`` is one of ``splits``.

    Args:
        split (str): the split asked for.
        splits (sequence of str): the splits of the data set, in the order
            the message lists them.
        what (str): the data set, e.g. ``'SBD'``.

    Returns:
        str: ``split``.

    Raises:
        ValueError: ``"<what> split must be 'a', 'b' or 'c', not <split>"``.

    """
    if split not in splits:
        names = ["'{}'".format(s) for s in splits]
        raise ValueError('{} split must be {} or {}, not {!r}'.format(
            what, ', '.join(names[:-1]), names[-1], split))
    return split


def read_split_list(path, what):
    """Reads the ids of a split from its list (see :func:`read_ids`).

    Args:
        path (str): the list file.
        what (str): what the list holds, for the message of an empty list,
            e.g. ``'the ids of the split'``.

    Returns:
        list of str: the ids, in file order; at least one.

    Raises:
        OSError: one line naming ``path`` if it cannot be read (not UTF-8,
            for instance).
        ValueError: naming ``path`` if it lists no id.

    """
    try:
        ids = read_ids(path)
    except (OSError, UnicodeDecodeError) as e:
        raise unreadable_file_error('split list', path, e) from e
    if not ids:
        raise ValueError('split list {} is empty: it must list {}, one per '
                         'line'.format(path, what))
    return ids


def list_files(folder, extensions):
    """The files of a folder that have one of some extensions.

    Args:
        folder (str): the folder.
        extensions (sequence of str): the extensions, lower case with their
            dot (``'.jpg'``); a file's extension matches in any case.

    Returns:
        list of str: the file names (not paths), sorted.

    """
    return [name for name in sorted(os.listdir(folder))
            if os.path.splitext(name)[1].lower() in extensions]


def missing_files(paths):
    """The files of ``paths`` that do not exist.

    Each folder is listed once (fast on a network file system) and a name
    must match exactly, case included.

    Args:
        paths (iterable of str): the files; their folders must exist.

    Returns:
        list of str: the missing ones, in the order of ``paths``.

    """
    listed = {}
    missing = []
    for path in paths:
        folder, name = os.path.split(path)
        if folder not in listed:
            listed[folder] = set(os.listdir(folder))
        if name not in listed[folder]:
            missing.append(path)
    return missing


def missing_files_error(n_missing, n, source, what, detail, items='ids'):
    """The one-line error for ids of a split that have no file.

    Args:
        n_missing (int): how many ids have none.
        n (int): how many ids there are.
        source (str): where the ids come from (a list file, a folder).
        what (str): the file they lack, e.g. ``'label'``.
        detail (str): what was looked for, what to do.
        items (str): what the ids are, e.g. ``'images'``.

    Returns:
        FileNotFoundError: ``'<n_missing> of the <n> <items> of <source>
        has (have) no <what>: <detail>'``.

    """
    return FileNotFoundError('{} of the {} {} of {} {} no {}: {}'.format(
        n_missing, n, items, source, 'has' if n_missing == 1 else 'have',
        what, detail))


def unreadable_file_error(what, path, error, expected=None):
    """The one-line error for a data file that could not be read.

    Args:
        what (str): what the file is, e.g. ``'image'`` or ``'label'``.
        path (str): the file.
        error (Exception): the reader's exception.
        expected (str): what the file should hold, e.g. ``'a .mat file
            with GTcls.Segmentation'``; said in the message if given.

    Returns:
        OSError: a :class:`FileNotFoundError` if ``path`` does not exist,
        else an :class:`OSError`; its message is one line that names
        ``path`` and says why: missing, empty, or the reader's error
        (a truncated file, for instance), with what to do.

    """
    head = 'cannot read {} {}{}'.format(
        what, path, '' if expected is None else
        ' (expected {})'.format(expected))
    if not os.path.exists(path):
        return FileNotFoundError('{}: the file does not exist'.format(head))
    if os.path.isfile(path) and os.path.getsize(path) == 0:
        reason = 'the file is empty (0 bytes)'
    else:
        reason = '{}: {}; the file may be incomplete or corrupt'.format(
            type(error).__name__, one_line(error))
    return OSError("{}: {}: extract it again from the data set's "
                   'archive'.format(head, reason))


def read_image_file(path):
    """Reads an image as float32 CHW RGB; the error names an unreadable file.

    The image is read by :func:`chainercv.utils.read_image` with its PIL
    backend, whatever ``chainer.config.cv_read_image_backend`` says: PIL
    refuses a truncated file, where OpenCV decodes it silently with grey
    pixels in place of the missing data. Greyscale and palette images are
    converted to RGB; an image with an alpha channel (RGBA, LA, PA) is read
    as RGB **by dropping the alpha channel** (``alpha='ignore'``), as
    OpenCV's ``imread`` does.

    Args:
        path (str): the image file.

    Returns:
        numpy.ndarray: the image, shape ``(3, H, W)``, values in [0, 255].

    Raises:
        OSError: naming ``path``, if it is missing, empty, truncated or
            otherwise unreadable (see :func:`unreadable_file_error`); the
            reader's exception is chained.

    """
    try:
        with chainer.using_config('cv_read_image_backend', 'PIL'):
            return read_image(path, dtype=numpy.float32, color=True,
                              alpha='ignore')
    except Exception as e:
        raise unreadable_file_error('image', path, e) from e


def read_image_size(path):
    """Reads the size of an image from its header, without decoding it.

    Args:
        path (str): the image file.

    Returns:
        tuple of int: ``(H, W)``, the size :func:`read_image_file` returns.

    Raises:
        OSError: naming ``path``, if it cannot be read.

    """
    try:
        with PIL.Image.open(path) as f:
            width, height = f.size
    except Exception as e:
        raise unreadable_file_error('image', path, e) from e
    return height, width


def check_label_size(label, path, image_path):
    """Checks that a label map has the size of its image.

    A label of another size would be cropped and flipped with its image by
    the training transform and train on misaligned pixels; the check reads
    the size from the image's header only.

    Args:
        label (numpy.ndarray): the label map, shape ``(H, W)``.
        path (str): the label file, for the message.
        image_path (str): the image file of the label.

    Returns:
        numpy.ndarray: ``label``.

    Raises:
        ValueError: naming both files and both sizes (W x H) if they
            differ.
        OSError: naming ``image_path`` if its header cannot be read.

    """
    size = read_image_size(image_path)
    if label.shape != size:
        raise ValueError(
            'label {} is {}x{} (WxH) but its image {} is {}x{}: a label '
            'must have the size of its image, pixel for pixel (was one of '
            'them resized, or replaced by the file of another '
            'image?)'.format(path, label.shape[1], label.shape[0],
                             image_path, size[1], size[0]))
    return label


def check_label(label, n_class, path, ignore=255, image_path=None):
    """Checks a raw label map: 2-D, the size of its image, values in
    ``[0, n_class)`` or ``ignore``.

    Args:
        label (numpy.ndarray): the raw label map, shape ``(H, W)``.
        n_class (int): the number of classes.
        path (str): the file, for the message.
        ignore (int or None): the raw ignore value; ``None`` if the files
            have none.
        image_path (str): the image of the label; if given, the label must
            have its size (see :func:`check_label_size`).

    Returns:
        numpy.ndarray: a new int32 array, ``ignore`` mapped to -1.

    Raises:
        ValueError: one line naming ``path``: not a numeric 2-D array,
            values outside the classes (the first ten are listed), or, naming
            ``image_path`` too, a size other than the image's.
        OSError: naming ``image_path`` if its header cannot be read.

    """
    try:
        label = numpy.array(label, dtype=numpy.int32)
    except (TypeError, ValueError) as e:
        raise ValueError('label file {} does not hold a numeric label map: '
                         '{}: {}'.format(path, type(e).__name__,
                                         one_line(e))) from e
    if label.ndim != 2:
        raise ValueError('label file {} holds an array of shape {}, not a '
                         '2-D label map'.format(path, label.shape))
    if image_path is not None:
        check_label_size(label, path, image_path)
    bad = (label < 0) | (label >= n_class)
    if ignore is not None:
        bad &= label != ignore
    if bad.any():
        values = numpy.unique(label[bad])
        raise ValueError(
            'label file {} has values {}{} outside [0, {}){} ({} pixel{}): '
            'the pixel values of a label must be class indices'
            .format(path, values[:10].tolist(),
                    ' ...' if len(values) > 10 else '', n_class,
                    '' if ignore is None else
                    ' that are not {} (ignore)'.format(ignore),
                    int(bad.sum()), '' if bad.sum() == 1 else 's'))
    if ignore is not None:
        label[label == ignore] = -1
    return label


def read_label_file(path, n_class, ignore=255, image_path=None):
    """Reads and checks a label PNG (palette, as VOC's, or grey, as
    ADE20K's: the pixel values are the class indices).

    Args:
        path (str): the label file.
        n_class (int): the number of classes.
        ignore (int or None): the raw ignore value.
        image_path (str): the image of the label; if given, the label must
            have its size.

    Returns:
        numpy.ndarray: int32 labels, -1 where ignored.

    Raises:
        OSError: one line naming ``path`` if it is missing, empty,
            truncated or otherwise unreadable (see
            :func:`unreadable_file_error`), or naming an unreadable
            ``image_path``.
        ValueError: one line naming ``path``: values outside the classes,
            or, naming ``image_path`` too, a size other than the image's
            (see :func:`check_label`).

    """
    try:
        label = read_label(path, dtype=numpy.int32)
    except Exception as e:
        raise unreadable_file_error('label', path, e) from e
    return check_label(label, n_class, path, ignore, image_path)
