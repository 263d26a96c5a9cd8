"""The results of an evaluation as JSON."""

import numpy


def _json_float(value):
    value = float(value)
    return None if value != value else value


def json_value(value):
    """A metric, a curve or a count as JSON.

    Args:
        value: a number, a NumPy scalar or array, or a list of them.

    Returns:
        int, float, bool, None or list: NaN becomes None.

    """
    if isinstance(value, (list, tuple)) or hasattr(value, 'tolist'):
        value = numpy.asarray(value).tolist()
        if isinstance(value, list):
            return [json_value(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, numpy.integer)):
        return int(value)
    return _json_float(value)


def evaluation_report(result, task, label_names=None, nms=None,
                      n_thresholds=None):
    """The metrics of an evaluation as JSON.

    Args:
        result (dict): what
            :func:`~sparsemask.evaluations.evaluate_segmentation`,
            :func:`~sparsemask.evaluations.evaluate_saliency` or
            :func:`~sparsemask.evaluations.evaluate_edges` returned.
        task (str): ``'segmentation'``, ``'saliency'`` or ``'edge'``.
        label_names (sequence of str): segmentation: the class names.
        nms (bool): edge: whether the maps were thinned.
        n_thresholds (int): edge: the benchmark's thresholds.

    Returns:
        dict: segmentation: ``miou``, ``pixel_accuracy``,
        ``mean_class_accuracy``, ``iou`` and ``class_accuracy`` (class
        name -> value, NaN as None) and ``confusion``; saliency and edge:
        every entry of ``result`` (:func:`json_value`), and for edges
        ``nms`` and ``n_thresholds`` first.

    """
    if task == 'segmentation':
        return {
            'miou': result['miou'],
            'pixel_accuracy': result['pixel_accuracy'],
            'mean_class_accuracy': result['mean_class_accuracy'],
            'iou': {name: _json_float(v)
                    for name, v in zip(label_names, result['iou'])},
            'class_accuracy': {name: _json_float(v) for name, v in
                               zip(label_names, result['class_accuracy'])},
            'confusion': result['confusion'].tolist(),
        }
    report = {}
    if task == 'edge':
        report.update(nms=nms, n_thresholds=n_thresholds)
    report.update({key: json_value(value) for key, value in result.items()})
    return report
