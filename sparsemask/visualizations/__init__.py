"""Figures: the searched connection weights and the architecture."""

from sparsemask.visualizations.connectivity_dot import connectivity_dot  # NOQA
from sparsemask.visualizations.vis_connection_weight_histogram import connection_weight_counts  # NOQA
from sparsemask.visualizations.vis_connection_weight_histogram import vis_connection_weight_histogram  # NOQA
from sparsemask.visualizations.vis_connection_weights import connection_weight_matrix  # NOQA
from sparsemask.visualizations.vis_connection_weights import vis_connection_weights  # NOQA
from sparsemask.visualizations.vis_connectivity import vis_connectivity  # NOQA
