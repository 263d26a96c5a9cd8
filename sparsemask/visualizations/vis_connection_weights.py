import numpy

from sparsemask.connectivity import Connectivity


def connection_weight_matrix(weights, n_stages):
    """Arranges searched weights as a stage x input matrix.

    Args:
        weights (dict): stage index ``l`` -> ``{input name: weight}``, as
            :meth:`sparsemask.SparseMask.connection_weights` returns.
        n_stages (int): ``L``.

    Returns:
        tuple: ``(matrix, row_names, column_names)``. Rows are the decoder
        stages ``D<L> .. D1`` (the order they are computed in), columns
        ``E1 .. E<L>, D2 .. D<L>, G``; a cell that is not a connection of
        the search space is NaN.

    """
    rows = ['D{}'.format(l) for l in range(n_stages, 0, -1)]
    cols = (['E{}'.format(i) for i in range(1, n_stages + 1)]
            + ['D{}'.format(i) for i in range(2, n_stages + 1)] + ['G'])
    col_index = {name: j for j, name in enumerate(cols)}
    matrix = numpy.full((len(rows), len(cols)), numpy.nan)
    full = Connectivity.full(n_stages)
    for l, conns in weights.items():
        valid = set(full.inputs(l))
        for name, w in conns.items():
            if name not in valid:
                raise ValueError('D{} has no input {} in the search space of '
                                 '{} stages'.format(l, name, n_stages))
            matrix[n_stages - l, col_index[name]] = w
    return matrix, rows, cols


def vis_connection_weights(weights, n_stages, sigma=None, ax=None):
    """Draws the searched connection weights as a heatmap (paper Fig. 4).

    Args:
        weights (dict): stage index ``l`` -> ``{input name: weight}``.
        n_stages (int): ``L``.
        sigma (float): the pruning threshold; connections below it are
            marked with a cross.
        ax (matplotlib.axes.Axes): where to draw; a new figure by default.

    Returns:
        matplotlib.axes.Axes: the axes.

    """
    from matplotlib import pyplot as plt

    matrix, rows, cols = connection_weight_matrix(weights, n_stages)
    if ax is None:
        fig = plt.figure(figsize=(0.45 * len(cols) + 2, 0.45 * len(rows) + 1))
        ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(numpy.ma.masked_invalid(matrix), cmap='viridis',
                      vmin=0, vmax=1, aspect='equal')
    ax.figure.colorbar(image, ax=ax, fraction=0.03, pad=0.02, label='w')
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, rotation=90)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows)
    ax.set_xlabel('input')
    ax.set_ylabel('decoder stage')
    if sigma is not None:
        ys, xs = numpy.nonzero(matrix < sigma)
        ax.scatter(xs, ys, marker='x', color='red', s=12, linewidths=1)
    return ax
