"""Evaluation of a trained model: multi-scale, flipped and padded
prediction, and the metrics of ChainerCV accumulated over a data set (and
over processes under ChainerMN); the saliency (max F_beta, MAE) and edge
(ODS, OIS, AP, R50) metrics of PySODMetrics and pyEdgeEval (the ``tasks``
extra), and the standard NMS of edge maps."""

from sparsemask.evaluations.cue_accuracy import cue_accuracy  # NOQA
from sparsemask.evaluations.dataset_boundaries import dataset_boundaries  # NOQA
from sparsemask.evaluations.edge_metrics import EdgeMetrics  # NOQA
from sparsemask.evaluations.edge_nms import edge_nms  # NOQA
from sparsemask.evaluations.evaluate_edges import evaluate_edges  # NOQA
from sparsemask.evaluations.evaluate_saliency import evaluate_saliency  # NOQA
from sparsemask.evaluations.evaluate_segmentation import evaluate_segmentation  # NOQA
from sparsemask.evaluations.evaluation_report import evaluation_report  # NOQA
from sparsemask.evaluations.evaluation_report import json_value  # NOQA
from sparsemask.evaluations.evaluation_tables import format_binary_table  # NOQA
from sparsemask.evaluations.evaluation_tables import format_table  # NOQA
from sparsemask.evaluations.predict_probabilities import predict_probabilities  # NOQA
from sparsemask.evaluations.progress_bar import ProgressBar  # NOQA
from sparsemask.evaluations.protocol_name import protocol_name  # NOQA
from sparsemask.evaluations.saliency_metrics import SaliencyMetrics  # NOQA
from sparsemask.evaluations.segmentation_metrics import segmentation_metrics  # NOQA
