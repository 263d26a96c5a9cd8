"""The results of an evaluation as text tables."""


def _number(value):
    return '-' if value is None or value != value else '{:.4f}'.format(value)


def _pct(value):
    return '-' if value != value else '{:.2f}'.format(100 * value)


def format_table(result, label_names):
    """The results of a segmentation as text: one row per class, then the
    means.

    Args:
        result (dict): what
            :func:`~sparsemask.evaluations.evaluate_segmentation` returned.
        label_names (sequence of str): the class names.

    Returns:
        str: the table.

    """
    width = max([len('mean class accuracy')] + [len(n) for n in label_names])
    lines = ['{:<{w}}  {:>7}  {:>8}  {:>12}'.format(
        'class', 'IoU', 'accuracy', 'pixels (gt)', w=width)]
    pixels = result['confusion'].sum(axis=1)
    for name, iou, acc, n in zip(label_names, result['iou'],
                                 result['class_accuracy'], pixels):
        lines.append('{:<{w}}  {:>7}  {:>8}  {:>12d}'.format(
            name, _pct(iou), _pct(acc), int(n), w=width))
    lines.append('-' * len(lines[0]))
    for key, name in (('miou', 'mIoU'), ('pixel_accuracy', 'pixel accuracy'),
                      ('mean_class_accuracy', 'mean class accuracy')):
        lines.append('{:<{w}}  {:>7}'.format(name, _pct(result[key]),
                                            w=width))
    return '\n'.join(lines)


def format_binary_table(result, task):
    """The results of a saliency or edge evaluation as text.

    Args:
        result (dict): what
            :func:`~sparsemask.evaluations.evaluate_saliency` or
            :func:`~sparsemask.evaluations.evaluate_edges` returned.
        task (str): ``'saliency'`` or ``'edge'``.

    Returns:
        str: the table.

    """
    if task == 'saliency':
        rows = (('max F_beta', 'max_fbeta'), ('mean F_beta', 'mean_fbeta'),
                ('adaptive F_beta', 'adaptive_fbeta'), ('MAE', 'mae'))
    else:
        rows = (('ODS', 'ods'), ('OIS', 'ois'), ('AP', 'ap'), ('R50', 'r50'))
    return '\n'.join('{:<16} {}'.format(name, _number(result[key]))
                     for name, key in rows)
