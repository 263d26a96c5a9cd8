import numpy
import pytest

from chainercv.evaluations import eval_semantic_segmentation

from sparsemask.connectivity import Connectivity
from sparsemask.evaluations import evaluate_segmentation
from sparsemask.evaluations import predict_probabilities
from sparsemask.evaluations import segmentation_metrics
from sparsemask.links import SparseMask
from tests.evaluations.models import PixelModel
from tests.tiny_backbone import TinyBackbone


def _dataset(n=6, n_class=5, seed=0):
    rng = numpy.random.RandomState(seed)
    examples = []
    for i in range(n):
        h, w = rng.randint(9, 25, size=2)
        img = rng.uniform(0, 255, (3, h, w)).astype(numpy.float32)
        label = rng.randint(0, n_class, (h, w)).astype(numpy.int32)
        label[0] = -1
        label[-1, :3] = 255
        examples.append((img, label))
    return examples


def test_metrics_equal_chainercv_on_the_same_predictions():
    n_class = 5
    model = SparseMask(TinyBackbone(), n_class,
                       connectivity=Connectivity.full(3), channels=6)
    dataset = _dataset(n_class=n_class)
    result = evaluate_segmentation(model, dataset, n_class)
    preds = model.predict([img for img, _ in dataset])
    labels = []
    for _, label in dataset:
        label = label.copy()
        label[label == 255] = -1
        labels.append(label)
    expected = eval_semantic_segmentation(preds, labels)
    assert result['miou'] == pytest.approx(expected['miou'], rel=1e-12)
    assert result['pixel_accuracy'] == pytest.approx(
        expected['pixel_accuracy'], rel=1e-12)
    assert result['mean_class_accuracy'] == pytest.approx(
        expected['mean_class_accuracy'], rel=1e-12)
    k = len(expected['iou'])
    numpy.testing.assert_allclose(result['iou'][:k], expected['iou'])
    numpy.testing.assert_allclose(result['class_accuracy'][:k],
                                  expected['class_accuracy'])
    # ignored pixels are not counted
    n_counted = sum(int((label >= 0).sum()) for label in labels)
    assert result['confusion'].sum() == n_counted


def test_a_class_absent_everywhere_is_left_out_of_the_means():
    confusion = numpy.array([[3, 1, 0], [2, 4, 0], [0, 0, 0]])
    m = segmentation_metrics(confusion)
    assert numpy.isnan(m['iou'][2]) and numpy.isnan(m['class_accuracy'][2])
    assert m['miou'] == pytest.approx((3 / 6 + 4 / 7) / 2)
    assert m['pixel_accuracy'] == pytest.approx(7 / 10)
    assert m['mean_class_accuracy'] == pytest.approx((3 / 4 + 4 / 6) / 2)


def test_labels_from_the_model_itself_score_one():
    model = PixelModel(n_class=4)
    dataset = [(img, predict_probabilities(model, img).argmax(axis=0))
               for img, _ in _dataset(n=3)]
    result = evaluate_segmentation(model, dataset, 4, flip=True)
    assert result['miou'] == pytest.approx(1.0)
    assert result['pixel_accuracy'] == pytest.approx(1.0)


def test_progress_is_reported_per_image():
    calls = []
    evaluate_segmentation(PixelModel(n_class=5), _dataset(n=3), 5,
                          progress=lambda *a: calls.append(a))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_bad_labels_are_named():
    img = numpy.zeros((3, 4, 5), dtype=numpy.float32)
    with pytest.raises(ValueError, match='example 0: label value 7'):
        evaluate_segmentation(PixelModel(n_class=5),
                              [(img, numpy.full((4, 5), 7))], 5)
    with pytest.raises(ValueError, match='example 0: the label is 4x4'):
        evaluate_segmentation(PixelModel(n_class=5),
                              [(img, numpy.zeros((4, 4)))], 5)


class _FakeComm(object):
    # two processes in one: allreduce_obj sums what both contributed
    def __init__(self, rank, size, store):
        self.rank, self.size, self.store = rank, size, store

    def allreduce_obj(self, obj):
        self.store.append(obj)
        return obj


def test_each_process_takes_every_nth_image_and_the_sum_is_the_whole():
    model = PixelModel(n_class=5)
    dataset = _dataset(n=7)
    whole = evaluate_segmentation(model, dataset, 5)
    store = []
    for rank in range(3):
        evaluate_segmentation(model, dataset, 5,
                              comm=_FakeComm(rank, 3, store))
    numpy.testing.assert_array_equal(sum(store), whole['confusion'])
    assert all(s.sum() > 0 for s in store)
