"""The experiments of ``eval/``: the paper's Table 1 protocol (rows,
learning-rate grid, seeds, the stability study of the searches, the
report) and the study of the connection weights a search ends with."""

from sparsemask.experiments.decoder_size import decoder_params  # NOQA
from sparsemask.experiments.decoder_size import matched_channels  # NOQA
from sparsemask.experiments.learning_rate_grid import choose_lr  # NOQA
from sparsemask.experiments.learning_rate_grid import grid_entry  # NOQA
from sparsemask.experiments.learning_rate_grid import grid_specs  # NOQA
from sparsemask.experiments.learning_rate_grid import lr_name  # NOQA
from sparsemask.experiments.pilot_gate import pilot_verdict  # NOQA
from sparsemask.experiments.retrain_seeds import retrain_specs  # NOQA
from sparsemask.experiments.retrain_seeds import seed_result  # NOQA
from sparsemask.experiments.retrain_seeds import summarise_runs  # NOQA
from sparsemask.experiments.search_stability import retrained_entry  # NOQA
from sparsemask.experiments.search_stability import stability_retrains  # NOQA
from sparsemask.experiments.search_stability import stability_study  # NOQA
from sparsemask.experiments.search_weights import DEFAULT_RUNS  # NOQA
from sparsemask.experiments.search_weights import format_table  # NOQA
from sparsemask.experiments.search_weights import parse_run  # NOQA
from sparsemask.experiments.search_weights import run_search_weights  # NOQA
from sparsemask.experiments.table1 import run_table1  # NOQA
from sparsemask.experiments.table1 import Table1  # NOQA
from sparsemask.experiments.table1_benchmark import measure_rows  # NOQA
from sparsemask.experiments.table1_options import check_options  # NOQA
from sparsemask.experiments.table1_options import QUICK_OVERRIDES  # NOQA
from sparsemask.experiments.table1_options import table1_options  # NOQA
from sparsemask.experiments.table1_report import format_report  # NOQA
from sparsemask.experiments.table1_report import json_default  # NOQA
from sparsemask.experiments.table1_rows import ROW_KEYS  # NOQA
from sparsemask.experiments.table1_rows import ROWS  # NOQA
from sparsemask.experiments.table1_rows import SEARCH_ROW  # NOQA
from sparsemask.experiments.table1_rows import SEARCHES  # NOQA
from sparsemask.experiments.table1_searches import identical_search_warnings  # NOQA
from sparsemask.experiments.table1_searches import search_spec  # NOQA
from sparsemask.experiments.training_runner import StaleRunError  # NOQA
from sparsemask.experiments.training_runner import TrainingRunner  # NOQA
