"""Figures: the searched connection weights."""

from sparsemask.visualizations.vis_connection_weights import connection_weight_matrix  # NOQA
from sparsemask.visualizations.vis_connection_weights import vis_connection_weights  # NOQA
