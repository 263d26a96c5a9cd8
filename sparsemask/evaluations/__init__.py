"""Evaluation of a trained model: multi-scale, flipped and padded
prediction, and the metrics of ChainerCV accumulated over a data set (and
over processes under ChainerMN)."""

from sparsemask.evaluations.evaluate_segmentation import evaluate_segmentation  # NOQA
from sparsemask.evaluations.predict_probabilities import predict_probabilities  # NOQA
from sparsemask.evaluations.segmentation_metrics import segmentation_metrics  # NOQA
