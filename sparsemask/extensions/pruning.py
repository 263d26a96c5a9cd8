import os

import numpy

import chainer
from chainer.training import extension

from sparsemask.extensions._target import search_model
from sparsemask.prune import prune
from sparsemask.utils.atomic_write import atomic_open
from sparsemask.utils.atomic_write import atomic_write_text
from sparsemask.visualizations.vis_connection_weights import \
    vis_connection_weights


def save_connection_weights(path, weights):
    """Saves searched connection weights as npz, atomically.

    Args:
        path (str): the file.
        weights (dict): stage index ``l`` -> ``{input name: weight}``.

    """
    arrays = {}
    for l, conns in weights.items():
        names = sorted(conns)
        arrays['D{}/inputs'.format(l)] = numpy.array(names)
        arrays['D{}/w'.format(l)] = numpy.array(
            [conns[n] for n in names], dtype=numpy.float32)
    with atomic_open(path, 'wb') as f:
        numpy.savez(f, **arrays)


def load_connection_weights(path):
    """Loads weights written by :func:`save_connection_weights`.

    Args:
        path (str): the file.

    Returns:
        dict: stage index ``l`` -> ``{input name: weight}``.

    """
    weights = {}
    with numpy.load(path) as f:
        for key in f.files:
            stage, kind = key.split('/')
            if kind != 'inputs':
                continue
            names = [str(n) for n in f[key]]
            w = f['{}/w'.format(stage)]
            weights[int(stage[1:])] = dict(zip(names, map(float, w)))
    return weights


def write_pruning_result(out, weights, n_stages, sigma=1e-3, merge=False,
                         iteration=None, topk=None):
    """Prunes and writes ``arch.yaml``, ``connection_weights.npz`` and
    ``connection_weights.png`` into ``out``, each atomically.

    Args:
        out (str): the directory.
        weights (dict): stage index ``l`` -> ``{input name: weight}``.
        n_stages (int): ``L``.
        sigma (float): the threshold.
        merge (bool): see :func:`sparsemask.prune`.
        iteration (int): noted in the figure's title if given.
        topk (int): keep the ``topk`` largest weights of each stage
            instead of those at least ``sigma`` (see
            :func:`sparsemask.prune`).

    Returns:
        Connectivity: the pruned architecture.

    """
    from matplotlib import pyplot as plt

    connectivity = prune(weights, sigma=sigma, merge=merge,
                         n_stages=n_stages, topk=topk)
    if not os.path.isdir(out):
        os.makedirs(out)
    header = '# pruned with {}{}: {} of {} connections\n'.format(
        'sigma={}'.format(sigma) if topk is None else
        'the top {} of each stage'.format(topk),
        '' if iteration is None else ' at iteration {}'.format(iteration),
        connectivity.n_connections, n_stages * (n_stages + 1))
    atomic_write_text(os.path.join(out, 'arch.yaml'),
                      header + connectivity.to_yaml())
    save_connection_weights(os.path.join(out, 'connection_weights.npz'),
                            weights)
    ax = vis_connection_weights(weights, n_stages,
                                sigma=sigma if topk is None else None)
    ax.set_title('connection weights' + (
        '' if iteration is None else ', iteration {}'.format(iteration)))
    with atomic_open(os.path.join(out, 'connection_weights.png'), 'wb') as f:
        ax.figure.savefig(f, format='png', bbox_inches='tight', dpi=100)
    plt.close(ax.figure)
    return connectivity


class Pruning(extension.Extension):
    """Prunes the searched decoder (paper Sec. 3.3) and writes the result.

    Writes, atomically, into ``out`` (the trainer's by default):
    ``arch.yaml`` (the architecture, for ``train/retrain.py``),
    ``connection_weights.npz`` and the heatmap ``connection_weights.png``
    (paper Fig. 4). Give it the trigger of the last iteration to prune at
    the end of the search, or any other trigger to watch the search. The
    decision is a function of the weights only, which ChainerMN keeps
    identical across processes, so every process computes the same
    architecture; only the writer (``comm.rank == 0``) writes files.
    It reports ``prune/connections``.

    Args:
        sigma (float): the threshold (0.001 in the paper).
        merge (bool): see :func:`sparsemask.prune`.
        topk (int): keep the ``topk`` largest weights of each stage instead
            (a MaskConnect-style search); None: the threshold.
        out (str): the directory; the trainer's by default.
        comm: a ChainerMN communicator, or None.
        model (~sparsemask.links.SparseMask): by default the main
            optimizer's target (or its ``predictor``).

    """

    trigger = 1, 'epoch'
    priority = extension.PRIORITY_READER

    def __init__(self, sigma=1e-3, merge=False, out=None, comm=None,
                 model=None, topk=None):
        self.sigma = sigma
        self.merge = merge
        self.topk = topk
        self._out = out
        self._comm = comm
        self._model = model
        self.connectivity = None
        self._last_iteration = -1

    def __call__(self, trainer):
        model = search_model(trainer, self._model)
        iteration = trainer.updater.iteration
        weights = model.connection_weights()
        n_stages = model.connectivity.n_stages
        if self._comm is None or self._comm.rank == 0:
            self.connectivity = write_pruning_result(
                self._out or trainer.out, weights, n_stages, self.sigma,
                self.merge, iteration, topk=self.topk)
        else:
            self.connectivity = prune(weights, sigma=self.sigma,
                                      merge=self.merge, n_stages=n_stages,
                                      topk=self.topk)
        self._last_iteration = iteration
        chainer.reporter.report(
            {'prune/connections': self.connectivity.n_connections})

    @property
    def last_iteration(self):
        """int: the iteration of the last pruning, -1 if none."""
        return self._last_iteration

    def serialize(self, serializer):
        self._last_iteration = int(
            serializer('_last_iteration', self._last_iteration))
