"""Figures: the searched connection weights, the architecture and the
predictions of a model."""

from sparsemask.visualizations.connectivity_dot import connectivity_dot  # NOQA
from sparsemask.visualizations.figure_writer import FigureWriter  # NOQA
from sparsemask.visualizations.vis_connection_weight_histogram import connection_weight_counts  # NOQA
from sparsemask.visualizations.vis_connection_weight_histogram import vis_connection_weight_histogram  # NOQA
from sparsemask.visualizations.vis_connection_weights import connection_weight_matrix  # NOQA
from sparsemask.visualizations.vis_connection_weights import vis_connection_weights  # NOQA
from sparsemask.visualizations.vis_connectivity import vis_connectivity  # NOQA
from sparsemask.visualizations.vis_map_predictions import vis_map_predictions  # NOQA
from sparsemask.visualizations.vis_segmentation_predictions import vis_segmentation_predictions  # NOQA
