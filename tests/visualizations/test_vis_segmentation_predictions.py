import numpy

import matplotlib
matplotlib.use('Agg')
from matplotlib import pyplot  # NOQA: E402

from sparsemask.visualizations import vis_segmentation_predictions  # NOQA


class _Model(object):
    # predicts the label of every pixel except the first row (class 0)

    def __init__(self, dataset):
        self.dataset = dataset

    def predict(self, imgs):
        for i, (img, label) in enumerate(self.dataset):
            if img is imgs[0]:
                pred = numpy.maximum(label, 0)
                pred[0] = 0
                return [pred]
        raise AssertionError('not an image of the data set')


def test_rows_and_accuracies():
    rng = numpy.random.RandomState(0)
    dataset = []
    for _ in range(3):
        img = rng.uniform(0, 255, (3, 4, 5)).astype(numpy.float32)
        label = numpy.ones((4, 5), numpy.int32)
        dataset.append((img, label))
    dataset[2][1][...] = -1    # every pixel ignored
    fig, accuracies = vis_segmentation_predictions(
        _Model(dataset), dataset, [0, 2], ['background', 'thing'])
    assert accuracies == [0.75, None]
    assert len(fig.axes) == 2 * 3
    # the classes seen and the ignored label in the legend
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ['background', 'thing', 'ignored (-1)']
    pyplot.close(fig)
