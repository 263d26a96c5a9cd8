import io
import json

import numpy
import pytest

from sparsemask.evaluations import evaluation_report
from sparsemask.evaluations import format_binary_table
from sparsemask.evaluations import format_table
from sparsemask.evaluations import json_value
from sparsemask.evaluations import ProgressBar
from sparsemask.evaluations import protocol_name

NAN = float('nan')


@pytest.mark.parametrize('scales,flip,pad_to,name', [
    ([1.0], False, None, 'single_scale'),
    ([0.5, 0.75, 1.0, 1.25, 1.5, 1.75], True, None,
     'ms0.5-0.75-1-1.25-1.5-1.75_flip'),
    ([1.0], False, (513, 513), 'pad513'),
    ([1.0], True, (320, 480), 'flip_pad320x480'),
    ((0.5, 1.0), False, (513, 513), 'ms0.5-1_pad513'),
])
def test_protocol_name(scales, flip, pad_to, name):
    assert protocol_name(scales, flip, pad_to) == name


def _segmentation():
    confusion = numpy.array([[3, 1, 0], [0, 2, 0], [0, 0, 0]])
    return {'confusion': confusion, 'iou': numpy.array([0.75, 2 / 3, NAN]),
            'class_accuracy': numpy.array([0.75, 1.0, NAN]),
            'miou': 17 / 24, 'pixel_accuracy': 5 / 6,
            'mean_class_accuracy': 0.875}


def test_segmentation_table_and_report():
    result = _segmentation()
    names = ['background', 'cat', 'dog']
    lines = format_table(result, names).splitlines()
    assert lines[0].split() == ['class', 'IoU', 'accuracy', 'pixels', '(gt)']
    assert lines[1].split() == ['background', '75.00', '75.00', '4']
    assert lines[3].split() == ['dog', '-', '-', '0']
    assert set(lines[4]) == {'-'}
    assert lines[5].split() == ['mIoU', '70.83']
    assert lines[7].split() == ['mean', 'class', 'accuracy', '87.50']
    report = evaluation_report(result, 'segmentation', names)
    assert report['iou'] == {'background': 0.75, 'cat': 2 / 3, 'dog': None}
    assert report['class_accuracy']['dog'] is None
    assert report['confusion'] == result['confusion'].tolist()
    assert list(report) == ['miou', 'pixel_accuracy', 'mean_class_accuracy',
                            'iou', 'class_accuracy', 'confusion']
    json.dumps(report, allow_nan=False)


def test_binary_tables_and_reports():
    saliency = {'max_fbeta': numpy.float64(0.9), 'mean_fbeta': 0.8,
                'adaptive_fbeta': NAN, 'mae': 0.05,
                'curve': numpy.array([0.5, NAN], numpy.float32)}
    assert format_binary_table(saliency, 'saliency').splitlines() == [
        'max F_beta       0.9000', 'mean F_beta      0.8000',
        'adaptive F_beta  -', 'MAE              0.0500']
    assert evaluation_report(saliency, 'saliency') == {
        'max_fbeta': 0.9, 'mean_fbeta': 0.8, 'adaptive_fbeta': None,
        'mae': 0.05, 'curve': [0.5, None]}
    edge = {'ods': 0.7, 'ois': 0.72, 'ap': None, 'r50': 0.9,
            'n_images': numpy.int64(2)}
    assert format_binary_table(edge, 'edge').splitlines() == [
        'ODS              0.7000', 'OIS              0.7200',
        'AP               -', 'R50              0.9000']
    report = evaluation_report(edge, 'edge', nms=True, n_thresholds=99)
    assert list(report)[:2] == ['nms', 'n_thresholds']
    assert report['n_images'] == 2 and type(report['n_images']) is int
    assert report['ap'] is None


def test_json_value():
    assert json_value(numpy.float32(0.5)) == 0.5
    assert json_value(NAN) is None
    assert json_value(True) is True and json_value(None) is None
    assert json_value(numpy.int32(3)) == 3
    assert json_value([[1, NAN], (2.5, 3)]) == [[1.0, None], [2.5, 3.0]]
    assert json_value(numpy.arange(3)) == [0, 1, 2]


def test_progress_bar():
    stream = io.StringIO()
    progress = ProgressBar(stream)
    progress(1, 3)
    progress(3, 3)
    text = stream.getvalue()
    assert text.startswith('\r[' + '#' * 10 + ' ' * 20 + '] 1/3 images, ')
    assert '\r[' + '#' * 30 + '] 3/3 images, ' in text
    assert text.endswith(' images/s\n')
