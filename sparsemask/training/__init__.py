"""What the trainer scripts in ``train/`` share: the configuration, the model
and data set builders and the training loop; and what the scripts in
``eval/`` do with a trained run: evaluate it, export it, draw its figures."""

from sparsemask.training.arguments import make_parser  # NOQA
from sparsemask.training.arguments import setup  # NOQA
from sparsemask.training.build_dataset import build_dataset  # NOQA
from sparsemask.training.build_datasets import build_datasets  # NOQA
from sparsemask.training.build_model import build_model  # NOQA
from sparsemask.training.config import ConfigError  # NOQA
from sparsemask.training.config import DEFAULTS  # NOQA
from sparsemask.training.config import dump_config  # NOQA
from sparsemask.training.config import load_config  # NOQA
from sparsemask.training.draw_figures import draw_figures  # NOQA
from sparsemask.training.evaluate_trained_model import evaluate_trained_model  # NOQA
from sparsemask.training.export_trained_model import export_trained_model  # NOQA
from sparsemask.training.load_trained_model import load_trained_model  # NOQA
from sparsemask.training.run_training import run_training  # NOQA
from sparsemask.training.cli import main  # NOQA
