import numpy


def connection_weight_counts(weights, sigma):
    """Counts the searched weights below, around and above the threshold.

    Args:
        weights (dict): stage index ``l`` -> ``{input name: weight}``, as
            :meth:`sparsemask.SparseMask.connection_weights` returns.
        sigma (float): the pruning threshold.

    Returns:
        tuple of int: ``(below, middle, high)``: how many weights are
        ``< sigma`` (pruned), in ``[sigma, 0.5)`` and ``>= 0.5``.

    """
    w = _values(weights)
    below = int(numpy.count_nonzero(w < sigma))
    high = int(numpy.count_nonzero(w >= max(sigma, 0.5)))
    return below, len(w) - below - high, high


def _values(weights):
    return numpy.array([w for conns in weights.values()
                        for w in conns.values()], dtype=numpy.float64)


def vis_connection_weight_histogram(weights, sigma=None, ax=None):
    """Draws a histogram of the searched connection weights.

    The x axis is logarithmic above a small linear range around 0
    (matplotlib's ``symlog``), so that weights near 0, the pruning
    threshold ``sigma`` (0.001 in the paper) and the weights near 1 are
    all visible; weights that are exactly 0 (clipped) fall in the first
    bin. With ``sigma``, the bars are coloured by what pruning makes of
    them: ``< sigma`` (dropped), ``[sigma, 0.5)`` and ``>= 0.5``, with the
    counts in the legend, and ``sigma`` is marked by a line.

    Args:
        weights (dict): stage index ``l`` -> ``{input name: weight}``.
        sigma (float): the pruning threshold, or None.
        ax (matplotlib.axes.Axes): where to draw; a new figure by default.

    Returns:
        matplotlib.axes.Axes: the axes.

    """
    from matplotlib import pyplot as plt

    w = _values(weights)
    if ax is None:
        fig = plt.figure(figsize=(6.4, 3.6))
        ax = fig.add_subplot(1, 1, 1)
    positive = w[w > 0]
    # the linear range around 0: a decade below the smallest positive
    # weight and sigma, at least 1e-6
    low = min([1e-2] + ([sigma / 10.0] if sigma else []) +
              ([10 ** numpy.floor(numpy.log10(positive.min()))]
               if len(positive) else []))
    low = max(low, 1e-6)
    top = max(1.0, float(w.max()) if len(w) else 1.0)
    n_decades = int(round(numpy.log10(top / low)))
    edges = numpy.logspace(numpy.log10(low), numpy.log10(top),
                           4 * n_decades + 1)
    if sigma is not None:
        # sigma and 0.5 are edges; drop the edges next to them
        marks = numpy.array([sigma, 0.5])
        near = numpy.abs(numpy.log10(edges[:, None] / marks)).min(axis=1)
        edges = numpy.concatenate([edges[(near > 0.125) | (edges == low)
                                         | (edges == top)], marks])
    edges = numpy.unique(numpy.concatenate([[0.0], edges]))
    edges = edges[edges <= top]
    counts, _ = numpy.histogram(numpy.clip(w, 0, top), bins=edges)
    lefts, widths = edges[:-1], numpy.diff(edges)
    if sigma is None:
        bars = ax.bar(lefts, counts, widths, align='edge', color='#1f77b4',
                      edgecolor='white', linewidth=0.5)
        ax.bar_label(bars, labels=[str(c) if c else '' for c in counts],
                     fontsize='x-small', padding=1)
    else:
        groups = (
            ('< $\\sigma$ (pruned)', lefts < sigma, '#d62728'),
            ('[$\\sigma$, 0.5)', (lefts >= sigma) & (lefts < 0.5),
             '#ff7f0e'),
            ('$\\geq$ 0.5', lefts >= max(sigma, 0.5), '#2ca02c'))
        n_zero = int(numpy.count_nonzero(w == 0))
        for i, ((label, mask, color), n) in enumerate(zip(
                groups, connection_weight_counts(weights, sigma))):
            label = '{}: {}'.format(label, n)
            if i == 0 and n_zero:
                label += ' ({} exactly 0)'.format(n_zero)
            bars = ax.bar(lefts[mask], counts[mask], widths[mask],
                          align='edge', color=color, edgecolor='white',
                          linewidth=0.5, label=label)
            ax.bar_label(bars, labels=[str(c) if c else ''
                                       for c in counts[mask]],
                         fontsize='x-small', padding=1)
        ax.axvline(sigma, color='black', linestyle='--', linewidth=1)
        ax.annotate('$\\sigma$ = {:g}'.format(sigma), xy=(sigma, 1),
                    xycoords=('data', 'axes fraction'),
                    xytext=(3, -3), textcoords='offset points',
                    ha='left', va='top', fontsize='small')
        ax.legend(loc='upper left', bbox_to_anchor=(1.01, 1.0),
                  fontsize='small', frameon=False)
    ax.set_xscale('symlog', linthresh=low, linscale=0.5)
    ax.set_xlim(0, top)
    ax.set_ylim(0, max(counts.max() if len(counts) else 1, 1) * 1.2)
    ax.set_xlabel('connection weight w (linear below {:g}, log above)'
                  .format(low))
    ax.set_ylabel('connections')
    ax.set_title('{} connection weights'.format(len(w)))
    return ax
