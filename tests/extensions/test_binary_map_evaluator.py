import numpy
import pytest

import chainer

from sparsemask.datasets import SyntheticSaliencyDataset
from sparsemask.evaluations import evaluate_saliency
from sparsemask.extensions import BinaryMapEvaluator
from tests.evaluations.models import PixelModel

pytest.importorskip('py_sod_metrics')


def test_reports_the_metrics_of_the_validation_set():
    model = PixelModel(n_class=1, seed=2)
    dataset = SyntheticSaliencyDataset(3, size=(16, 12), seed=4)
    iterator = chainer.iterators.SerialIterator(dataset, 1, repeat=False,
                                                shuffle=False)
    evaluator = BinaryMapEvaluator(iterator, model, 'saliency')
    evaluator.name = 'val'
    observation = evaluator()
    expected = evaluate_saliency(model, dataset)
    assert set(observation) == {'val/main/max_fbeta', 'val/main/mae'}
    numpy.testing.assert_allclose(observation['val/main/max_fbeta'],
                                  expected['max_fbeta'], rtol=1e-6)
    numpy.testing.assert_allclose(observation['val/main/mae'],
                                  expected['mae'], rtol=1e-6)
    # again: the whole set each time
    numpy.testing.assert_allclose(evaluator()['val/main/mae'],
                                  expected['mae'], rtol=1e-6)


def test_without_an_iterator_nothing_is_reported():
    # (ChainerMN: the processes other than rank 0 have no validation set)
    evaluator = BinaryMapEvaluator(None, PixelModel(n_class=1), 'edge')
    assert evaluator() == {}


def test_unknown_task_is_refused():
    with pytest.raises(ValueError, match="not 'segmentation'"):
        BinaryMapEvaluator(None, PixelModel(n_class=1), 'segmentation')
