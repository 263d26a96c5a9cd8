"""evaluate_saliency and evaluate_edges: the model's sigmoid maps fed to
the metrics of pysodmetrics and pyEdgeEval, over a data set."""

import numpy
import pytest

import chainer
import chainer.functions as F

from sparsemask.datasets import SyntheticEdgeDataset
from sparsemask.datasets import SyntheticSaliencyDataset
from sparsemask.evaluations import dataset_boundaries
from sparsemask.evaluations import EdgeMetrics
from sparsemask.evaluations import evaluate_edges
from sparsemask.evaluations import evaluate_saliency
from sparsemask.evaluations import predict_probabilities
from sparsemask.evaluations import SaliencyMetrics
from tests.evaluations.models import PixelModel

pytest.importorskip('py_sod_metrics')
pytest.importorskip('pyEdgeEval')


def _sigmoid(model, img):
    x = (img - model.mean) / model.std
    with chainer.using_config('train', False):
        return F.sigmoid(model.forward(x[None])).array[0, 0]


def test_predict_probabilities_of_one_channel_is_the_sigmoid():
    model = PixelModel(n_class=1)
    img = SyntheticSaliencyDataset(1, size=(12, 10))[0][0]
    prob = predict_probabilities(model, img)
    assert prob.shape == (1, 12, 10)
    numpy.testing.assert_allclose(prob[0], _sigmoid(model, img), rtol=1e-6)
    # (a softmax of one channel would be 1 everywhere)
    assert prob.min() < 0.99


def test_predict_of_one_channel_thresholds_the_sigmoid_at_a_half():
    from sparsemask import SparseMask
    from tests.tiny_backbone import TinyBackbone
    numpy.random.seed(0)
    model = SparseMask(TinyBackbone(), 1, channels=4)
    img = SyntheticSaliencyDataset(1, size=(16, 16))[0][0]
    label = model.predict([img])[0]
    prob = predict_probabilities(model, img)[0]
    assert label.dtype == numpy.int32
    numpy.testing.assert_array_equal(label, (prob >= 0.5).astype(numpy.int32))


def test_evaluate_saliency_equals_the_metrics_fed_directly():
    model = PixelModel(n_class=1, seed=3)
    dataset = SyntheticSaliencyDataset(3, size=(20, 16), seed=1)
    direct = SaliencyMetrics()
    for img, mask in dataset:
        direct.add(_sigmoid(model, img), mask)
    expected = direct.result()
    result = evaluate_saliency(model, dataset)
    assert result['n_images'] == 3
    for key in ('max_fbeta', 'mean_fbeta', 'adaptive_fbeta', 'mae'):
        numpy.testing.assert_allclose(result[key], expected[key], rtol=1e-6)
    done = []
    evaluate_saliency(model, dataset, progress=lambda *a: done.append(a))
    assert done == [(1, 3), (2, 3), (3, 3)]


def test_evaluate_edges_equals_the_metrics_fed_directly(monkeypatch):
    # pyEdgeEval's matching breaks ties with a clock-seeded generator:
    # the same inputs get the same answer here, so the two runs compare
    # exactly
    from pyEdgeEval.common.binary_label import evaluate_boundaries as eb
    cache = {}
    original = eb.correspond_pixels

    def repeatable(pred, gt, max_dist):
        key = (pred.tobytes(), gt.tobytes(), max_dist)
        if key not in cache:
            cache[key] = original(pred, gt, max_dist=max_dist)
        return cache[key]

    monkeypatch.setattr(eb, 'correspond_pixels', repeatable)
    model = PixelModel(n_class=1, seed=5)
    dataset = SyntheticEdgeDataset(3, size=(24, 20), seed=2)
    direct = EdgeMetrics(thresholds=9)
    for i, (img, _) in enumerate(dataset):
        direct.add(_sigmoid(model, img), dataset.get_boundaries(i))
    expected = direct.result()
    result = evaluate_edges(model, dataset, thresholds=9)
    assert result['n_images'] == 3
    for key in ('ods', 'ois', 'ap', 'auc', 'recall', 'precision'):
        numpy.testing.assert_allclose(result[key], expected[key], rtol=1e-9)


def test_dataset_boundaries_through_sub_datasets():
    dataset = SyntheticEdgeDataset(6, size=(8, 8), seed=0)
    order = numpy.array([5, 3, 1, 0, 2, 4])
    inner = chainer.datasets.SubDataset(dataset, 1, 5, order=order)
    outer = chainer.datasets.SubDataset(inner, 2, 4)
    for i in range(len(outer)):
        expected = dataset.get_boundaries(order[1 + 2 + i])
        got = dataset_boundaries(outer, i)
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            numpy.testing.assert_array_equal(a, b)
    with pytest.raises(IndexError):
        dataset_boundaries(outer, 2)


def test_dataset_without_boundaries_is_named():
    with pytest.raises(ValueError, match='SyntheticSaliencyDataset has no '
                       'boundary maps'):
        dataset_boundaries(SyntheticSaliencyDataset(2), 0)


def test_a_label_of_another_size_is_named():
    class Bad(chainer.dataset.DatasetMixin):
        def __len__(self):
            return 1

        def get_example(self, i):
            return (numpy.zeros((3, 8, 8), numpy.float32),
                    numpy.zeros((8, 7), numpy.int32))

    with pytest.raises(ValueError, match='example 0: the label is 8x7 but '
                       'the image 8x8'):
        evaluate_saliency(PixelModel(n_class=1), Bad())
