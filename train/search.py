"""Searches the connectivity of a SparseMask decoder (paper Sec. 3.2).

Trains the full Fully Dense Network with a weight on each connection under
L_task + lambda * sum_l L_s (Eq. 3), then prunes it (Sec. 3.3) and writes
``arch.yaml``, ``connection_weights.npz`` and ``connection_weights.png``
into the output directory, with the log, plots, snapshots, ``config.yaml``
and ``model.npz``.

Examples::

    python train/search.py                       # synthetic data, CPU
    python train/search.py --config configs/voc_mobilenetv2_search.yaml \\
        --gpu 0 dataset.voc_dir=~/data/VOC2012 dataset.sbd_dir=~/data/SBD
    mpiexec -n 4 python train/search.py --communicator pure_nccl --gpu 0 \\
        --config configs/voc_mobilenetv2_search.yaml
"""

import os

from sparsemask.training.cli import main


if __name__ == '__main__':
    main('search', __doc__, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
