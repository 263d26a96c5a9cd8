"""How well a segmentation tells apart each cue of classes that combine
cues."""

import numpy


def _cue_name(values, i, taken):
    # the common prefix before the last '-' (stripes-h, stripes-v ->
    # stripes), else cue<i>
    prefixes = {v.rsplit('-', 1)[0] if '-' in v else None for v in values}
    name = prefixes.pop() if len(prefixes) == 1 else None
    if not name or name in taken:
        name = 'cue{}'.format(i)
    return name


def cue_accuracy(confusion, label_names):
    """The accuracy of each cue of a data set whose object classes
    combine cues.

    Class 0 is the background; the name of each other class is one part
    per cue, separated by ``/``, e.g. ``stripes-h/scene-a``. A cue is named
    by the common prefix of its values before the last ``-``
    (``stripes-h``, ``stripes-v``: ``stripes``), else ``cue<i>`` (``i``
    the position of its part).

    Args:
        confusion (numpy.ndarray): the ``(n_class, n_class)`` confusion
            matrix, rows the ground truth and columns the prediction (as
            ChainerCV's ``calc_semantic_segmentation_confusion`` gives it);
            rows and columns past ``n_class`` (labels out of range) are
            left out, missing ones (classes never seen) count as zeros.
        label_names (sequence of str): the name of each class.

    Returns:
        dict: in this order, ``foreground`` (the fraction of the pixels
        whose background-or-object decision is right: background predicted
        as background, or an object as any object), then for each cue the
        fraction of the object pixels predicted as an object whose
        predicted class has the true class's value of the cue (None
        without such pixels), and ``chance`` (cue -> ``1 /`` its number of
        values). ``foreground`` is None for an empty matrix.

    Raises:
        ValueError: fewer than two classes, or object classes with
            different numbers of parts.

    """
    label_names = list(label_names)
    n_class = len(label_names)
    if n_class < 2:
        raise ValueError(
            'cue accuracy needs the background and at least one object '
            'class, got {!r}'.format(label_names))
    parts = [name.split('/') for name in label_names[1:]]
    n_cue = len(parts[0])
    for name, p in zip(label_names[2:], parts[1:]):
        if len(p) != n_cue:
            raise ValueError(
                'label {!r} has {} parts but {!r} has {}'.format(
                    name, len(p), label_names[1], n_cue))

    confusion = numpy.asarray(confusion, dtype=numpy.float64)
    conf = numpy.zeros((n_class, n_class))
    m = min(n_class, confusion.shape[0])
    k = min(n_class, confusion.shape[1])
    conf[:m, :k] = confusion[:m, :k]

    total = conf.sum()
    objects = conf[1:, 1:]
    n_object = objects.sum()
    result = {'foreground': (conf[0, 0] + n_object) / total
              if total > 0 else None}
    chance = {}
    for i in range(n_cue):
        values = [p[i] for p in parts]
        name = _cue_name(values, i,
                         set(result) | set(chance) | {'chance'})
        values = numpy.array(values)
        same = values[:, None] == values[None, :]
        result[name] = (objects[same].sum() / n_object
                        if n_object > 0 else None)
        chance[name] = 1.0 / len(set(values.tolist()))
    result['chance'] = chance
    for key, value in result.items():
        if value is not None and key != 'chance':
            result[key] = float(value)
    return result
