"""Models of the benchmark tests: MobileNetV2 SparseMask, random weights."""

import os

from sparsemask.training import build_model
from sparsemask.training import load_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
#: the paper's protocol (eval/bench_model.py's default config)
DEFAULT_CONFIG = os.path.join(ROOT, 'configs', 'voc_mobilenetv2_retrain.yaml')
PAPER_ARCH = os.path.join(ROOT, 'configs', 'arch',
                          'sparsemask_mobilenetv2_voc.yaml')


def build(mode='retrain', width=0.25, fused=True, arch=PAPER_ARCH,
          n_class=21):
    """A model of the paper's config, without pretrained weights."""
    overrides = ['model.pretrained_model=null',
                 'model.width_multiplier={}'.format(width),
                 'model.fused={}'.format('true' if fused else 'false')]
    if mode == 'retrain':
        overrides.append('model.arch={}'.format(arch))
    config = load_config(DEFAULT_CONFIG, overrides)
    return build_model(config['model'], mode, n_class)


def size(params):
    """The number of elements of parameters."""
    return int(sum(p.size for p in params))
