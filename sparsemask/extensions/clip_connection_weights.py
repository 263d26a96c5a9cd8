from chainer.training import extension

from sparsemask.extensions._target import search_model


class ClipConnectionWeights(extension.Extension):
    """Keeps the connection weights in [0, 1] after every update.

    It runs before the other extensions of the iteration, so the evaluator,
    the pruning and the snapshot all see clipped weights, and once before
    training (a model loaded from elsewhere is clipped too).

    Args:
        model (~sparsemask.links.SparseMask): by default the main
            optimizer's target (or its ``predictor``).

    """

    trigger = 1, 'iteration'
    priority = extension.PRIORITY_WRITER + 100

    def __init__(self, model=None):
        self._model = model
        self._n_clipped = 0

    def initialize(self, trainer):
        self(trainer)

    def __call__(self, trainer):
        model = search_model(trainer, self._model)
        model.clip_connection_weights()
        self._n_clipped += 1

    @property
    def n_clipped(self):
        """int: how many times the weights were clipped (kept in the
        snapshot)."""
        return self._n_clipped

    def serialize(self, serializer):
        self._n_clipped = int(serializer('_n_clipped', self._n_clipped))
