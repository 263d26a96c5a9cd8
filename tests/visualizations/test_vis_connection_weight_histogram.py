import matplotlib
matplotlib.use('Agg')
from matplotlib import pyplot as plt  # NOQA
import numpy  # NOQA
import pytest  # NOQA

from sparsemask.visualizations import connection_weight_counts  # NOQA
from sparsemask.visualizations import vis_connection_weight_histogram  # NOQA


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close('all')


def weights_of(values):
    # spread over stages like a search's weights
    values = list(values)
    weights = {}
    for k, w in enumerate(values):
        weights.setdefault(k % 3 + 1, {})['E{}'.format(k + 1)] = w
    return weights


VALUES = [0.0, 0.0, 0.0, 1e-7, 5e-4, 1e-3, 2e-3, 0.1, 0.4999, 0.5, 0.7, 1.0]


@pytest.mark.parametrize('sigma', [1e-3, 1e-2, 0.5, 0.9])
def test_counts(sigma):
    w = numpy.array(VALUES)
    below = int((w < sigma).sum())
    high = int((w >= max(sigma, 0.5)).sum())
    assert connection_weight_counts(weights_of(VALUES), sigma) == (
        below, len(w) - below - high, high)


def test_counts_at_the_edges():
    # sigma itself is kept, 0.5 is high
    assert connection_weight_counts(weights_of(VALUES), 1e-3) == (5, 4, 3)


def _bar_total(ax):
    return sum(int(round(p.get_height())) for p in ax.patches)


def test_histogram_with_sigma():
    ax = vis_connection_weight_histogram(weights_of(VALUES), sigma=1e-3)
    assert ax.get_xscale() == 'symlog'
    assert _bar_total(ax) == len(VALUES)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ['< $\\sigma$ (pruned): 5 (3 exactly 0)',
                      '[$\\sigma$, 0.5): 4', '$\\geq$ 0.5: 3']
    # the bars of each colour hold the weights of their group
    totals = {}
    for p in ax.patches:
        color = matplotlib.colors.to_hex(p.get_facecolor())
        totals[color] = totals.get(color, 0) + int(round(p.get_height()))
    assert sorted(totals.values()) == [3, 4, 5]
    handles = ax.get_legend().legend_handles
    assert [totals[matplotlib.colors.to_hex(h.get_facecolor())]
            for h in handles] == [5, 4, 3]
    # the threshold is marked
    assert [line.get_xdata()[0] for line in ax.lines] == [1e-3]
    lo, hi = ax.get_xlim()
    assert lo == 0 and hi == 1


def test_histogram_without_sigma():
    ax = vis_connection_weight_histogram(weights_of(VALUES))
    assert _bar_total(ax) == len(VALUES)
    assert ax.get_legend() is None
    assert len(ax.lines) == 0


def test_histogram_all_zero_and_given_axes():
    fig = plt.figure()
    ax = fig.add_subplot(1, 1, 1)
    weights = weights_of([0.0] * 6)
    assert vis_connection_weight_histogram(weights, 1e-3, ax=ax) is ax
    assert _bar_total(ax) == 6
    fig.canvas.draw()
