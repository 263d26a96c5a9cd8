"""A tiny search on the synthetic data set, for the end-to-end tests."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

TINY = [
    'dataset.n_train=12', 'dataset.n_val=4', 'dataset.size=32',
    'model.width_multiplier=0.35', 'model.channels=16',
    'train.batchsize=4', 'train.iterations=10', 'train.crop_size=32',
    'train.scale_range=[0.75, 1.25]',
    'log.snapshot_interval=1', 'log.eval_interval=5', 'log.log_interval=1',
    'log.n_snapshots=2',
]


def command(script, out, *extra):
    return [sys.executable, os.path.join(ROOT, 'train', script),
            '--config', os.path.join(ROOT, 'configs', 'demo.yaml'),
            '--out', out] + TINY + list(extra)


def run(script, out, *extra, **kwargs):
    return subprocess.run(command(script, out, *extra), cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, **kwargs)
