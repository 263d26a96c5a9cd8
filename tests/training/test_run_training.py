import io
import os

from sparsemask.training import load_config
from sparsemask.training import run_training
from tests.training.tiny_run import ROOT
from tests.training.tiny_run import TINY


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def tiny_config(*extra):
    return load_config(os.path.join(ROOT, 'configs', 'demo.yaml'),
                       TINY + ['train.iterations=2'] + list(extra))


def test_log_file_has_no_escape_codes_and_no_progress_bar(tmp_path, capsys):
    log = io.StringIO()
    result = run_training(tiny_config('model.arch=unet'), 'retrain',
                          str(tmp_path / 'a'), log=log)
    text = log.getvalue()
    assert 'main/loss' in text and '\033' not in text
    assert 'iters/sec' not in text + capsys.readouterr().out
    assert result['model'].connectivity.n_connections == 18   # U-Net, L=9


def test_terminal_gets_the_progress_bar(tmp_path, capsys):
    log = FakeTerminal()
    run_training(tiny_config(), 'search', str(tmp_path / 'b'), log=log)
    assert 'main/sparse_loss' in log.getvalue()
    # Chainer 7.8.1's ProgressBar ignores its ``out`` and writes to stdout
    assert 'iters/sec' in capsys.readouterr().out
