import pickle
import sys
import warnings

import numpy
import pytest

py_sod_metrics = pytest.importorskip('py_sod_metrics')

from sparsemask.evaluations import SaliencyMetrics  # NOQA


def _data(seed=0, sizes=((17, 23), (30, 12), (25, 25), (9, 40))):
    rng = numpy.random.RandomState(seed)
    examples = []
    for h, w in sizes:
        mask = numpy.zeros((h, w), dtype=numpy.int32)
        mask[h // 4:3 * h // 4, w // 3:] = 1
        # a map correlated with the mask, and noisy
        prob = numpy.clip(0.6 * mask + rng.uniform(-0.3, 0.7, (h, w)), 0, 1)
        examples.append((prob, mask))
    # a map that does not span [0, 1] (normalised by the library) and a
    # mask given as bool
    prob, mask = examples[1]
    examples[1] = (0.2 + 0.5 * prob, mask.astype(bool))
    return examples


def _library(examples):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        fm = py_sod_metrics.Fmeasure()
    mae = py_sod_metrics.MAE()
    for prob, mask in examples:
        pred = numpy.round(prob * 255).astype(numpy.uint8)
        gt = (numpy.asarray(mask, dtype=numpy.uint8) * 255).astype(
            numpy.uint8)
        fm.step(pred=pred, gt=gt)
        mae.step(pred=pred, gt=gt)
    return fm.get_results()['fm'], mae.get_results()['mae']


def _reference(examples, beta2=0.3):
    # pysodmetrics' protocol, in plain NumPy float64
    fs, maes = [], []
    thresholds = numpy.arange(256)
    for prob, mask in examples:
        gt = numpy.asarray(mask).astype(bool)
        pred = numpy.round(prob * 255) / 255
        if pred.max() != pred.min():
            pred = (pred - pred.min()) / (pred.max() - pred.min())
        level = numpy.floor(pred * 255)  # the library's astype(uint8)
        positive = level[None] >= thresholds[:, None, None]
        tp = (positive & gt).sum(axis=(1, 2)).astype(numpy.float64)
        n_positive = positive.sum(axis=(1, 2))
        precision = numpy.where(n_positive > 0, tp / numpy.maximum(
            n_positive, 1), 0)
        recall = tp / max(gt.sum(), 1)
        num = (1 + beta2) * precision * recall
        den = beta2 * precision + recall
        fs.append(numpy.where(num > 0, num / numpy.where(den > 0, den, 1),
                              0))
        maes.append(numpy.abs(pred - gt).mean())
    curve = numpy.mean(fs, axis=0)  # curve[t]: threshold t
    return curve, float(numpy.mean(maes))


def _metrics(examples):
    metrics = SaliencyMetrics()
    for prob, mask in examples:
        metrics.add(prob, mask)
    return metrics


def test_equals_pysodmetrics_fed_directly():
    examples = _data()
    result = _metrics(examples).result()
    fm, mae = _library(examples)
    assert result['n_images'] == len(examples)
    assert result['fbeta_curve'] == fm['curve'].tolist()
    assert result['max_fbeta'] == fm['curve'].max()
    assert result['mean_fbeta'] == fm['curve'].mean()
    assert result['adaptive_fbeta'] == fm['adp']
    assert result['mae'] == mae


def test_per_image_maes_are_the_library_s_and_average_to_mae():
    examples = _data(seed=2)
    metrics = _metrics(examples)
    maes = metrics.maes
    assert maes == [_library([e])[1] for e in examples]
    assert metrics.result()['mae'] == numpy.mean(maes)
    # after a merge too, in order
    other = _metrics(examples[:1])
    other.merge(metrics)
    assert other.maes == maes[:1] + maes


def test_equals_a_numpy_reference():
    examples = _data(seed=1)
    result = _metrics(examples).result()
    curve, mae = _reference(examples)
    # the library orders its curve from threshold 255 down to 0
    numpy.testing.assert_allclose(result['fbeta_curve'], curve[::-1],
                                  rtol=0, atol=1e-9)
    assert abs(result['max_fbeta'] - curve.max()) < 1e-9
    assert abs(result['mae'] - mae) < 1e-9
    assert 0.5 < result['max_fbeta'] < 1  # not degenerate
    assert result['mean_fbeta'] < result['max_fbeta']


def test_a_perfect_map():
    mask = numpy.zeros((10, 12), dtype=numpy.int64)
    mask[2:7, 3:9] = 1
    metrics = SaliencyMetrics()
    metrics.add(mask.astype(numpy.float32), mask)
    result = metrics.result()
    assert result['max_fbeta'] == 1
    assert result['mae'] == 0


def test_merge_and_states_equal_one_accumulator():
    examples = _data(seed=2)
    expected = _metrics(examples).result()
    first, second = _metrics(examples[:1]), _metrics(examples[1:])
    merged = SaliencyMetrics.from_states([first.state(), second.state()])
    assert merged.result() == expected
    # pickled, as ChainerMN's allreduce_obj sends them
    first = pickle.loads(pickle.dumps(first))
    first.merge(pickle.loads(pickle.dumps(second)))
    assert first.result() == expected
    empty = SaliencyMetrics()
    empty.merge(_metrics(examples))
    assert empty.result() == expected
    assert SaliencyMetrics.from_states(
        [SaliencyMetrics().state(), _metrics(examples).state()]
    ).result() == expected


def test_errors():
    metrics = SaliencyMetrics()
    with pytest.raises(ValueError):
        metrics.result()
    prob = numpy.full((4, 5), 0.5)
    mask = numpy.zeros((4, 5), dtype=numpy.int32)
    mask[0, 0] = -1
    with pytest.raises(ValueError):
        metrics.add(prob, mask)
    with pytest.raises(ValueError):
        metrics.add(prob, numpy.zeros((5, 4), dtype=numpy.int32))
    with pytest.raises(ValueError):
        metrics.add(prob + 0.6, numpy.zeros((4, 5), dtype=numpy.int32))
    assert metrics.n_images == 0


def test_missing_library(monkeypatch):
    monkeypatch.setitem(sys.modules, 'py_sod_metrics', None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[tasks\]"'):
        SaliencyMetrics()
