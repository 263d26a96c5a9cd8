"""A segmentation data set of your own, in a plain folder layout."""

import os

import numpy
import PIL.Image

from sparsemask.datasets._files import check_dir
from sparsemask.datasets._files import check_label
from sparsemask.datasets._files import list_files
from sparsemask.datasets._files import missing_files
from sparsemask.datasets._files import missing_files_error
from sparsemask.datasets._files import read_split_list
from sparsemask.datasets._files import unreadable_file_error
from sparsemask.datasets._image_label_dataset import ImageLabelDataset


FOLDER_HOW = (
    'A folder data set holds images/<id>.jpg (or .jpeg or .png: one image '
    'per id), labels/<id>.png (an index or palette PNG of the size of its '
    'image whose pixel values are class indices, 255 for pixels to '
    'ignore), classes.txt (one class name per line) and a list of ids per '
    'split, <split>.txt (one id per line, e.g. train.txt and val.txt); pass '
    'the folder that holds them.')

#: The extensions an image may have (any case).
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png')

# PIL modes of a label whose pixel values are the class indices: bilevel,
# 8-bit grey, palette (the index, not its colour), 16/32-bit grey
_INDEX_MODES = ('1', 'L', 'P', 'I', 'I;16', 'I;16B', 'I;16L', 'I;16N')

#: The raw label value of pixels to ignore; at most this many classes.
IGNORE = 255


def _read_lines(path, what):
    try:
        # utf-8-sig: a byte order mark (some Windows editors) is no name
        with open(path, encoding='utf-8-sig') as f:
            return f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise unreadable_file_error(what, path, e) from e


def read_class_names(path):
    """Reads ``classes.txt``: one class name per line.

    Args:
        path (str): the file.

    Returns:
        tuple of str: the names (stripped), in file order; blank lines at
        the end of the file are ignored.

    Raises:
        ValueError: naming ``path``: no names, a blank line between names,
            a name given twice, or more than 255 names (the label value 255
            means ignore).
        OSError: naming ``path`` if it cannot be read (not UTF-8, for
            instance).

    """
    names = [line.strip() for line in _read_lines(path, 'class list')]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise ValueError('class list {} is empty: it must name the classes, '
                         'one per line, class 0 first'.format(path))
    if '' in names:
        raise ValueError('class list {} has a blank line (line {}): it must '
                         'name the classes, one per line, class 0 first'
                         .format(path, names.index('') + 1))
    seen = set()
    for k, name in enumerate(names):
        if name in seen:
            raise ValueError('class list {} names {!r} twice (lines {} and '
                             '{}): class names must be unique'.format(
                                 path, name, names.index(name) + 1, k + 1))
        seen.add(name)
    if len(names) > IGNORE:
        raise ValueError('class list {} names {} classes: at most {} are '
                         'supported, the label value {} means ignore'.format(
                             path, len(names), IGNORE, IGNORE))
    return tuple(names)


def _files_by_id(folder, extensions):
    # {stem: [file names]} of the files of ``folder`` with one of
    # ``extensions`` (any case), listed once
    files = {}
    for name in list_files(folder, extensions):
        files.setdefault(os.path.splitext(name)[0], []).append(name)
    return files


def _some(items, n=5):
    items = list(items)
    return ', '.join(items[:n]) + (
        ' and {} more'.format(len(items) - n) if len(items) > n else '')


def read_index_label(path):
    """Reads a label PNG whose pixel values are class indices.

    Unlike :func:`chainercv.utils.read_label`, it refuses a colour image
    (which ``Image.convert('P')`` would quantize to meaningless indices)
    and reads 16- or 32-bit grey values as they are (where conversion to
    palette clips them at 255, the ignore value).

    Args:
        path (str): the label file.

    Returns:
        numpy.ndarray: the raw values, shape ``(H, W)``; a palette image's
        palette indices, not its colours.

    Raises:
        OSError: one line naming ``path`` if it is missing, empty,
            truncated or otherwise unreadable.
        ValueError: naming ``path`` if it is not a single-channel index
            or palette image (RGB, RGBA, grey with alpha...).

    """
    try:
        with PIL.Image.open(path) as f:
            mode = f.mode
            if mode in _INDEX_MODES:
                f.load()
                return numpy.array(f)
    except Exception as e:
        raise unreadable_file_error('label', path, e) from e
    raise ValueError(
        "label {} is an image of mode {}: a label must be an index "
        "(greyscale 'L' or 'I') or palette ('P') PNG whose pixel values are "
        "the class indices (a palette PNG's colours are ignored, its indices "
        "are the classes); convert colour-coded labels to class indices "
        "first".format(
            path, mode))


class FolderSemanticSegmentationDataset(ImageLabelDataset):
    """A semantic segmentation data set of your own, in a folder.

    The layout under ``root``::

        root/
            classes.txt       one class name per line (class 0 first)
            train.txt         ids of a split, one per line (any split
            val.txt           name: <split>.txt)
            images/<id>.jpg   (or .jpeg or .png, any case; one per id)
            labels/<id>.png   class indices, 255 = ignore

    A label is a single-channel PNG of the size of its image: greyscale
    (mode ``'L'``, or ``'I'`` for 16-bit PNGs) or palette (mode ``'P'``:
    the palette *index* of a pixel is its class, as in VOC's
    ``SegmentationClass``, whatever the colours). Its values are in
    ``[0, n_class)``, or 255 for pixels to ignore (read as -1). An RGB or
    RGBA label is refused: colour-coded labels must be converted to indices
    first. In a list, blank lines are skipped and a line's first token is
    the id (its directory and extension, if any, are dropped).

    Args:
        root (str): the folder.
        split (str): the split; its ids are read from ``root/<split>.txt``.

    An example is ``(img, label)``, read and checked as
    :class:`~sparsemask.datasets._image_label_dataset.ImageLabelDataset`
    says: a float32 RGB image :math:`(3, H, W)` in :math:`[0, 255]` and
    int32 labels :math:`(H, W)` in ``[-1, n_class - 1]``.

    Attributes:
        label_names (tuple of str): the names of ``classes.txt``.
        n_class (int): their number.
        ids (list of str): the ids of the split.

    Raises:
        FileNotFoundError: in ``__init__``, if ``root``, ``images/``,
            ``labels/``, ``classes.txt`` or the split's list is missing
            (naming the path, with the expected layout), or if an id has
            no image or no label (naming the id and what was looked for).
        ValueError: in ``__init__``, if ``classes.txt`` is empty, has a
            blank line or a duplicate name, if the split's list is empty
            (naming the file) or if an id has more than one image (naming
            the id and the files); reading an example, if the label is not
            an index or palette image, its size differs from its image's
            (naming both files and both sizes) or it holds values outside
            the classes (naming the file and the values).
        OSError: reading an example, if its image or label file is empty,
            truncated or otherwise unreadable; one line that names the
            file.

    """

    def __init__(self, root, split='train'):
        super(FolderSemanticSegmentationDataset, self).__init__()
        if not isinstance(split, str) or not split:
            raise ValueError('split must be a non-empty string (the list '
                             '<split>.txt), not {!r}'.format(split))
        self.root = check_dir(root, 'folder', FOLDER_HOW,
                              ('images', 'labels', 'classes.txt'))
        self.label_names = read_class_names(
            os.path.join(self.root, 'classes.txt'))
        self.n_class = len(self.label_names)

        list_path = os.path.join(self.root, split + '.txt')
        if not os.path.isfile(list_path):
            lists = sorted(n for n in os.listdir(self.root)
                           if n.endswith('.txt') and n != 'classes.txt')
            raise FileNotFoundError(
                'folder data set {} has no list of the split {!r}: {} does '
                'not exist (lists there: {}). {}'.format(
                    self.root, split, list_path,
                    ', '.join(lists) if lists else 'none', FOLDER_HOW))
        self.ids = read_split_list(list_path, 'the ids of the split')

        image_dir = os.path.join(self.root, 'images')
        label_dir = os.path.join(self.root, 'labels')
        images = _files_by_id(image_dir, IMAGE_EXTENSIONS)
        no_image = [i for i in self.ids if i not in images]
        if no_image:
            raise missing_files_error(
                len(no_image), len(self.ids), list_path, 'image',
                'looked for {} (ids: {})'.format(
                    ' or '.join(os.path.join(image_dir, no_image[0] + e)
                                for e in IMAGE_EXTENSIONS), _some(no_image)))
        for i in self.ids:
            if len(images[i]) > 1:
                raise ValueError(
                    'id {} of {} has {} images, {}: an id must have exactly '
                    'one image in {}'.format(
                        i, list_path, len(images[i]),
                        ', '.join(os.path.join(image_dir, n)
                                  for n in images[i]), image_dir))
        self.img_paths = [os.path.join(image_dir, images[i][0])
                          for i in self.ids]
        self.label_paths = [os.path.join(label_dir, i + '.png')
                            for i in self.ids]
        missing = set(missing_files(self.label_paths))
        no_label = [i for i, path in zip(self.ids, self.label_paths)
                    if path in missing]
        if no_label:
            raise missing_files_error(
                len(no_label), len(self.ids), list_path, 'label',
                '{} does not exist (ids: {})'.format(
                    os.path.join(label_dir, no_label[0] + '.png'),
                    _some(no_label)))

    def _read_label(self, path, image_path):
        return check_label(read_index_label(path), self.n_class, path,
                           ignore=IGNORE, image_path=image_path)
