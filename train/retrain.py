"""Retrains a searched SparseMask architecture (paper Sec. 3.3).

The decoder has the connections of ``model.arch`` (an ``arch.yaml`` written
by ``train/search.py``, or ``full`` / ``unet``), without connection weights
or per-connection batch normalisation, and is trained from scratch with the
task loss only. ``model.arch_backbone`` transfers an architecture searched
on another backbone by matching stages by stride (paper Sec. 4.3).

Examples::

    python train/retrain.py --config configs/demo.yaml \\
        model.arch=result/demo/arch.yaml
    python train/retrain.py --config configs/voc_resnet101_retrain.yaml \\
        --gpu 0 dataset.voc_dir=~/data/VOC2012 dataset.sbd_dir=~/data/SBD
"""

import os

from sparsemask.training.cli import main


if __name__ == '__main__':
    main('retrain', __doc__, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
