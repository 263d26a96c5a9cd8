"""Trainer extensions of the search and the retraining."""

from sparsemask.extensions.binary_map_evaluator import BinaryMapEvaluator  # NOQA
from sparsemask.extensions.clip_connection_weights import ClipConnectionWeights  # NOQA
from sparsemask.extensions.fail_on_non_finite import FailOnNonFinite  # NOQA
from sparsemask.extensions.fail_on_non_finite import NonFiniteLossError  # NOQA
from sparsemask.extensions.poly_learning_rate import PolyLearningRate  # NOQA
from sparsemask.extensions.pruning import load_connection_weights  # NOQA
from sparsemask.extensions.pruning import Pruning  # NOQA
from sparsemask.extensions.pruning import save_connection_weights  # NOQA
from sparsemask.extensions.pruning import write_pruning_result  # NOQA
from sparsemask.extensions.snapshot_retention import SnapshotRetention  # NOQA
from sparsemask.extensions.sparse_loss import SparseLoss  # NOQA
