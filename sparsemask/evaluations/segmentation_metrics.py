import numpy

from chainercv.evaluations import calc_semantic_segmentation_iou


def segmentation_metrics(confusion):
    """The metrics of ChainerCV's ``eval_semantic_segmentation``, from a
    confusion matrix accumulated over a data set (or over processes).

    Args:
        confusion (numpy.ndarray): ``(n_class, n_class)``; row: the ground
            truth, column: the prediction.

    Returns:
        dict: ``iou`` and ``class_accuracy`` per class (NaN for a class in
        neither the ground truth nor the prediction), ``miou``,
        ``pixel_accuracy`` and ``mean_class_accuracy`` (means over the
        classes that are not NaN), as
        :func:`chainercv.evaluations.eval_semantic_segmentation` computes
        them.

    """
    confusion = numpy.asarray(confusion, dtype=numpy.int64)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError('a confusion matrix is square, not {}'.format(
            confusion.shape))
    diag = numpy.diag(confusion)
    with numpy.errstate(invalid='ignore', divide='ignore'):
        iou = calc_semantic_segmentation_iou(confusion)
        pixel_accuracy = diag.sum() / confusion.sum()
        class_accuracy = diag / numpy.sum(confusion, axis=1)
    return {
        'iou': iou,
        'miou': float(numpy.nanmean(iou)),
        'pixel_accuracy': float(pixel_accuracy),
        'class_accuracy': class_accuracy,
        'mean_class_accuracy': float(numpy.nanmean(class_accuracy)),
    }
