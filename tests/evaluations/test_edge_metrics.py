import importlib
import math
import os
import pickle
import sys

import numpy
import pytest

pytest.importorskip('pyEdgeEval')

from PIL import Image  # NOQA
from pyEdgeEval.datasets.bsds import load_bsds_gt_boundaries  # NOQA
from pyEdgeEval.evaluators import BSDS500Evaluator  # NOQA
import scipy.io  # NOQA
from scipy.ndimage import gaussian_filter  # NOQA

from sparsemask.evaluations import EdgeMetrics  # NOQA


THRESHOLDS = 19


@pytest.fixture(autouse=True)
def matching_calls(monkeypatch):
    """Makes pyEdgeEval's pixel matching a function of its inputs.

    Its C++ matcher draws random outlier edges from a generator seeded by
    the clock at import, so two runs on the same maps can differ by a
    matched pixel or two. The first answer to each input is kept and given
    again; the inputs of every call are recorded, so that two evaluations
    can be shown to have matched the very same maps.
    """
    module = importlib.import_module(
        'pyEdgeEval.common.binary_label.evaluate_boundaries')
    correspond_pixels = module.correspond_pixels
    answers = {}
    calls = []

    def deterministic(img0, img1, max_dist=0.0075, outlier_cost=100.0):
        key = (img0.shape, img0.dtype.str, img0.tobytes(), img1.dtype.str,
               img1.tobytes(), float(max_dist), float(outlier_cost))
        calls.append(key)
        if key not in answers:
            answers[key] = correspond_pixels(img0, img1, max_dist=max_dist,
                                             outlier_cost=outlier_cost)
        match1, match2, cost, oc = answers[key]
        return match1.copy(), match2.copy(), cost, oc

    monkeypatch.setattr(module, 'correspond_pixels', deterministic)
    return calls


def _boundaries(segmentation):
    # BSDS style: a pixel whose right or lower neighbour is another segment
    b = numpy.zeros(segmentation.shape, dtype=numpy.uint8)
    b[:, :-1] |= segmentation[:, :-1] != segmentation[:, 1:]
    b[:-1, :] |= segmentation[:-1, :] != segmentation[1:, :]
    return b


def _data(n=3, h=40, w=50, n_annotators=(3, 2, 3), seed=0):
    rng = numpy.random.RandomState(seed)
    examples = []
    for i in range(n):
        y, x = numpy.mgrid[:h, :w]
        cy, cx = rng.randint(15, 25), rng.randint(18, 32)
        segmentations, boundaries = [], []
        for k in range(n_annotators[i]):
            seg = numpy.ones((h, w), dtype=numpy.uint16)
            seg[x >= cx + k - 1] = 2
            seg[(y - cy) ** 2 + (x - cx) ** 2 < (8 + k) ** 2] = 3
            if k == 1:  # an annotator who sees one more segment
                seg[y < 8] = 4
            segmentations.append(seg)
            boundaries.append(_boundaries(seg))
        mean = numpy.mean(boundaries, axis=0)
        prob = gaussian_filter(mean, 1.2)
        prob = 0.9 * prob / prob.max()
        # a spurious weaker edge and noise
        prob[:, 5] += 0.35
        prob += rng.uniform(0, 0.25, (h, w)) * (rng.uniform(size=(h, w))
                                                < 0.3)
        prob = numpy.clip(prob, 0, 1)
        examples.append(('{}'.format(100 + i), prob, segmentations,
                         boundaries))
    return examples


def _write_bsds(root, examples):
    # BSDS500's layout: groundTruth/test/<id>.mat, the variable
    # groundTruth a 1xK cell of structs (Segmentation, Boundaries)
    gt_dir = os.path.join(str(root), 'data', 'groundTruth', 'test')
    pred_dir = os.path.join(str(root), 'pred', 'test')
    os.makedirs(gt_dir)
    os.makedirs(pred_dir)
    for name, prob, segmentations, boundaries in examples:
        cell = numpy.empty((1, len(boundaries)), dtype=object)
        for k, (seg, b) in enumerate(zip(segmentations, boundaries)):
            cell[0, k] = {'Segmentation': seg.astype(numpy.uint16),
                          'Boundaries': b.astype(numpy.uint8)}
        scipy.io.savemat(os.path.join(gt_dir, name + '.mat'),
                         {'groundTruth': cell})
        png = numpy.round(prob * 255).astype(numpy.uint8)
        Image.fromarray(png).save(os.path.join(pred_dir, name + '.png'))
    return os.path.join(str(root), 'data'), os.path.join(str(root), 'pred')


def _read_curve(save_dir):
    rows = numpy.loadtxt(os.path.join(save_dir, 'eval_bdry_thr.txt'),
                         ndmin=2)
    return rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]


def _r50_reference(recall, precision):
    # edgesEvalDir.m: the first point of each recall value, by decreasing
    # recall, then the first of each precision value; the recall at 50%
    # precision (or at the lowest precision if above), linearly
    # interpolated; NaN (MATLAB's interp1) when precision stays below 0.5
    first_p = {}
    for r, p in zip(recall, precision):
        first_p.setdefault(r, p)
    first_r = {}
    for r in sorted(first_p, reverse=True):
        first_r.setdefault(first_p[r], r)
    ps = sorted(first_r)
    x = max(ps[0], 0.5)
    if x > ps[-1]:
        return math.nan
    if x == ps[-1]:
        return first_r[ps[-1]]
    for a, b in zip(ps, ps[1:]):
        if a <= x < b:
            return first_r[a] + (first_r[b] - first_r[a]) * (x - a) / (b - a)


def test_bsds_file_reads_back(tmp_path):
    examples = _data()
    data_root, _ = _write_bsds(tmp_path, examples)
    for name, _, _, boundaries in examples:
        read = load_bsds_gt_boundaries(
            os.path.join(data_root, 'groundTruth', 'test', name + '.mat'))
        assert len(read) == len(boundaries)
        for a, b in zip(read, boundaries):
            assert a.dtype == numpy.uint8
            numpy.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('nms', [False, True])
def test_equals_bsds500_evaluator(tmp_path, nms, matching_calls):
    examples = _data()
    data_root, pred_root = _write_bsds(tmp_path, examples)
    evaluator = BSDS500Evaluator(data_root, pred_root, split='test')
    evaluator.set_eval_params(scale=1.0, apply_thinning=True, apply_nms=nms,
                              max_dist=0.0075)
    save_dir = os.path.join(str(tmp_path), 'eval')
    expected = evaluator.evaluate(thresholds=THRESHOLDS, nproc=1,
                                  save_dir=save_dir)

    evaluator_calls = list(matching_calls)
    del matching_calls[:]

    metrics = EdgeMetrics(thresholds=THRESHOLDS, nms=nms)
    for _, prob, _, boundaries in examples:
        metrics.add(prob, boundaries)
    result = metrics.result()

    # the same maps (quantised, suppressed, thresholded, thinned) matched
    # to the same boundaries (in any order: the evaluator lists its files)
    n_annotators = sum(len(boundaries) for _, _, _, boundaries in examples)
    assert len(evaluator_calls) == THRESHOLDS * n_annotators
    assert sorted(matching_calls) == sorted(evaluator_calls)

    assert result['n_images'] == len(examples)
    assert result['ods'] == expected['ODS_f1']
    assert result['ods_threshold'] == expected['ODS_threshold']
    assert result['ois'] == expected['OIS_f1']
    assert result['ap'] == expected['AP']
    assert result['auc'] == expected['AUC']
    thresholds, recall, precision, f1 = _read_curve(save_dir)
    assert len(result['thresholds']) == THRESHOLDS
    numpy.testing.assert_allclose(result['thresholds'], thresholds,
                                  atol=1e-6)
    numpy.testing.assert_allclose(result['recall'], recall, atol=1e-6)
    numpy.testing.assert_allclose(result['precision'], precision,
                                  atol=1e-6)
    numpy.testing.assert_allclose(result['f1'], f1, atol=1e-6)

    # not degenerate: a curve from low precision to high
    assert 0.3 < result['ods'] < 0.95
    assert min(result['precision']) < 0.5 < max(result['precision'])
    assert result['ois'] >= result['ods'] - 1e-9

    r50 = _r50_reference(result['recall'], result['precision'])
    assert 0 < r50 < 1
    assert result['r50'] == pytest.approx(r50, abs=1e-12)


def _from_curve(recall, precision):
    # one image whose counts give this curve
    recall, precision = numpy.asarray(recall), numpy.asarray(precision)
    ten = numpy.full(len(recall), 10.0)
    counts = numpy.stack([recall * 10, ten, precision * 10, ten])[None]
    return EdgeMetrics.from_states([{
        'thresholds': len(recall), 'max_dist': 0.0075, 'nms': True,
        'thinning': True, 'counts': numpy.round(counts)}]).result()


def test_r50_as_edges_eval_dir():
    # interpolated at 50% precision
    result = _from_curve([0.8, 0.6, 0.3], [0.4, 0.6, 0.9])
    assert result['r50'] == pytest.approx(0.7)
    # the lowest precision above 0.5: the recall there
    result = _from_curve([0.9, 0.5, 0.2], [0.6, 0.7, 0.8])
    assert result['r50'] == pytest.approx(0.9)
    # never 50% precision: NaN, as MATLAB's interp1
    result = _from_curve([0.9, 0.8, 0.7], [0.2, 0.3, 0.4])
    assert math.isnan(result['r50'])
    # a repeated recall keeps its first point (precision 0.3, not 0.6)
    result = _from_curve([0.8, 0.8, 0.5], [0.3, 0.6, 0.9])
    assert result['r50'] == pytest.approx(0.7)
    assert _r50_reference(result['recall'], result['precision']) == \
        pytest.approx(0.7)


def test_merge_and_states_equal_one_accumulator():
    examples = _data(seed=1)
    whole = EdgeMetrics(thresholds=9)
    parts = [EdgeMetrics(thresholds=9), EdgeMetrics(thresholds=9)]
    for i, (_, prob, _, boundaries) in enumerate(examples):
        whole.add(prob, boundaries)
        parts[i > 0].add(prob, boundaries)
    expected = whole.result()
    merged = EdgeMetrics.from_states([p.state() for p in parts])
    assert merged.result() == expected
    # pickled, as ChainerMN's allreduce_obj sends them
    first = pickle.loads(pickle.dumps(parts[0]))
    first.merge(pickle.loads(pickle.dumps(parts[1])))
    assert first.result() == expected
    empty = EdgeMetrics(thresholds=9)
    empty.merge(whole)
    assert empty.result() == expected
    with pytest.raises(ValueError):
        EdgeMetrics(thresholds=19).merge(whole)
    with pytest.raises(ValueError):
        EdgeMetrics(thresholds=9, nms=False).merge(whole)


def test_thresholds_as_pyedgeeval():
    metrics = EdgeMetrics(thresholds=3)
    numpy.testing.assert_allclose(metrics.thresholds, [0.25, 0.5, 0.75])
    metrics = EdgeMetrics(thresholds=numpy.array([0.2, 0.6]))
    numpy.testing.assert_array_equal(metrics.thresholds, [0.2, 0.6])
    assert metrics.state()['thresholds'] == [0.2, 0.6]


def test_result_draws_no_progress_bar(monkeypatch):
    progressbar = importlib.import_module('pyEdgeEval.utils.progressbar')
    module = importlib.import_module(
        'pyEdgeEval.common.binary_label.calculate_metrics')
    track_progress = module.track_progress
    bars = []
    monkeypatch.setattr(progressbar, 'ProgressBar',
                        lambda *args, **kwargs: bars.append(args))
    metrics = EdgeMetrics(thresholds=3)
    _, prob, _, boundaries = _data(n=1)[0]
    metrics.add(prob, boundaries)
    assert metrics.result()['n_images'] == 1
    assert bars == []
    assert module.track_progress is track_progress  # restored
    with pytest.raises(AttributeError):  # the bar would be drawn here
        track_progress(len, [[1]])


def test_errors(monkeypatch):
    metrics = EdgeMetrics(thresholds=3)
    with pytest.raises(ValueError):
        metrics.result()
    prob = numpy.full((6, 7), 0.5)
    bdry = numpy.zeros((6, 7), dtype=numpy.uint8)
    with pytest.raises(ValueError):
        metrics.add(prob, [])
    with pytest.raises(ValueError):
        metrics.add(prob, [bdry[:, :6]])
    with pytest.raises(ValueError):
        metrics.add(prob + 1, [bdry])
    with pytest.raises(ValueError):
        metrics.add(prob, [bdry + 2])
    assert metrics.n_images == 0
    monkeypatch.setitem(sys.modules, 'pyEdgeEval.common.binary_label', None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[tasks\]"'):
        EdgeMetrics()
