from sparsemask.visualizations._style import BACKBONE_COLOR
from sparsemask.visualizations._style import EDGE_COLORS
from sparsemask.visualizations._style import EDGE_LABELS
from sparsemask.visualizations._style import kind_of
from sparsemask.visualizations._style import NODE_COLORS
from sparsemask.visualizations._style import PRUNED_COLOR


# the geometry, in data units: one stage per unit along x
_W = 0.64        # node width
_H = 0.36        # node height
_ENC_Y = 2.0     # the encoder row; the decoder row is at 0
_PORT = 0.11     # the widest spacing of the edges ending on one node side


def _x(name, n_stages):
    kind = kind_of(name)
    return float(n_stages) if kind == 'G' else float(int(name[1:]) - 1)


def _spread(center, n):
    step = min(_PORT, 0.8 * _W / max(n - 1, 1))
    return [center + (k - (n - 1) / 2.0) * step for k in range(n)]


def _arc_depth(distance):
    # how far below the decoder row a D_i -> D_l arc reaches
    return 0.3 + 0.13 * (distance - 1)


def vis_connectivity(connectivity, ax=None, show_pruned=True, title=None):
    """Draws the architecture as a diagram (paper Fig. 3) with matplotlib.

    The top row holds the encoder stages ``E1 .. E<L>`` (finest left) and
    the global pool ``G``, linked by the backbone's own flow (grey arrows);
    the bottom row the decoder stages, ``D<l>`` under ``E<l>`` (the same
    spatial size), computed from right (``D<L>``) to left (``D1``, which
    feeds the prediction head). Each connection of the architecture is
    one arrow into its decoder stage, coloured by the kind of its input:
    from the encoder (blue) or ``G`` (green) into the top of the stage,
    from another decoder stage (orange) as an arc below the row. Pruned
    decoder stages are drawn as dashed outlines without arrows.

    Every arrow is a :class:`matplotlib.patches.FancyArrowPatch` in
    ``ax.patches`` whose gid names it: ``'connection:<input>-><stage>'``
    for a connection, ``'backbone:<a>-><b>'`` for the backbone's flow;
    node boxes have the gid ``'node:<name>'``.

    Args:
        connectivity (~sparsemask.Connectivity): the architecture.
        ax (matplotlib.axes.Axes): where to draw; a new figure by default.
        show_pruned (bool): draw the pruned decoder stages as outlines.
        title (str): the axes' title; by default the number of
            connections and the decoder stages.

    Returns:
        matplotlib.axes.Axes: the axes.

    """
    from matplotlib import lines
    from matplotlib import patches
    from matplotlib.path import Path
    from matplotlib import pyplot as plt

    L = connectivity.n_stages
    stages = connectivity.stages
    edges = [(name, 'D{}'.format(l))
             for l in stages for name in connectivity.inputs(l)]
    max_depth = max([_arc_depth(int(a[1:]) - int(b[1:]))
                     for a, b in edges if kind_of(a) == 'D'] + [0.0])
    bottom = -_H / 2 - max_depth - 0.15
    top = _ENC_Y + _H / 2 + 0.15
    if ax is None:
        fig = plt.figure(figsize=(0.9 * (L + 2.6), 0.9 * (top - bottom + 1.0)))
        ax = fig.add_subplot(1, 1, 1)
    if title is None:
        title = '{} connections; decoder stages {}'.format(
            connectivity.n_connections,
            ' '.join('D{}'.format(l) for l in stages))

    # nodes
    nodes = [('E{}'.format(i), _ENC_Y, False) for i in range(1, L + 1)]
    nodes.append(('G', _ENC_Y, False))
    for l in range(1, L + 1):
        if l in stages:
            nodes.append(('D{}'.format(l), 0.0, False))
        elif show_pruned:
            nodes.append(('D{}'.format(l), 0.0, True))
    for name, y, pruned in nodes:
        x = _x(name, L)
        box = patches.FancyBboxPatch(
            (x - _W / 2, y - _H / 2), _W, _H,
            boxstyle='round,pad=0,rounding_size=0.08',
            facecolor='white' if pruned else NODE_COLORS[kind_of(name)],
            edgecolor=PRUNED_COLOR if pruned else 'black',
            linestyle='--' if pruned else '-', linewidth=1.0, zorder=3,
            gid='node:' + name)
        ax.add_patch(box)
        ax.text(x, y, name, ha='center', va='center', zorder=4,
                fontsize=10, color=PRUNED_COLOR if pruned else 'black')

    # the backbone's flow
    flow = ['E{}'.format(i) for i in range(1, L + 1)] + ['G']
    for a, b in zip(flow[:-1], flow[1:]):
        ax.add_patch(patches.FancyArrowPatch(
            (_x(a, L) + _W / 2, _ENC_Y), (_x(b, L) - _W / 2, _ENC_Y),
            arrowstyle='-|>', mutation_scale=10, shrinkA=0, shrinkB=0,
            color=BACKBONE_COLOR, linewidth=1.6, zorder=2,
            gid='backbone:{}->{}'.format(a, b)))

    # where each edge leaves and enters its nodes: spread along the side
    # of the node, ordered so that edges cross as little as possible
    sides = {}   # (node, 'top' | 'bottom') -> list of edges, left to right
    for a, b in sorted(edges, key=lambda e: _x(e[1], L)):
        if kind_of(a) != 'D':
            sides.setdefault((a, 'bottom'), []).append((a, b))
    for a, b in sorted(edges, key=lambda e: _x(e[0], L)):
        if kind_of(a) != 'D':
            sides.setdefault((b, 'top'), []).append((a, b))
    for l in stages:
        name = 'D{}'.format(l)
        # arcs to the stages on the left, the farthest outermost (right),
        # then arcs from the stages on the right, the farthest outermost
        out = sorted([e for e in edges if e[0] == name],
                     key=lambda e: -_x(e[1], L))
        into = sorted([e for e in edges if e[1] == name and
                       kind_of(e[0]) == 'D'], key=lambda e: -_x(e[0], L))
        if out or into:
            sides[(name, 'bottom')] = out + into
    port = {}
    for (node, side), side_edges in sides.items():
        for edge, x in zip(side_edges,
                           _spread(_x(node, L), len(side_edges))):
            port[(edge, node)] = x

    # the connections
    for a, b in edges:
        xa, xb = port[((a, b), a)], port[((a, b), b)]
        if kind_of(a) == 'D':
            ya = yb = -_H / 2
            # a cubic Bezier's extreme is 3/4 of its control points' offset
            dy = -_arc_depth(int(a[1:]) - int(b[1:])) / 0.75
            control = [(xa, ya + dy), (xb, yb + dy)]
        else:
            ya, yb = _ENC_Y - _H / 2, _H / 2
            k = (ya - yb) / 2
            control = [(xa, ya - k), (xb, yb + k)]
        path = Path([(xa, ya)] + control + [(xb, yb)],
                    [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
        ax.add_patch(patches.FancyArrowPatch(
            path=path, arrowstyle='-|>', mutation_scale=9, shrinkA=0,
            shrinkB=0, color=EDGE_COLORS[kind_of(a)], linewidth=1.2,
            zorder=2, gid='connection:{}->{}'.format(a, b)))

    for y, text in ((_ENC_Y, 'encoder'), (0.0, 'decoder')):
        ax.text(-_W / 2 - 0.15, y, text, ha='right', va='center',
                fontsize=10, style='italic')
    handles = [lines.Line2D([], [], color=BACKBONE_COLOR, linewidth=1.6,
                            label='backbone')]
    kinds = {kind_of(a) for a, _ in edges}
    handles += [lines.Line2D([], [], color=EDGE_COLORS[k], linewidth=1.2,
                             label=EDGE_LABELS[k])
                for k in ('E', 'D', 'G') if k in kinds]
    if show_pruned and len(stages) < L:
        handles.append(patches.Patch(
            facecolor='white', edgecolor=PRUNED_COLOR, linestyle='--',
            label='pruned stage'))
    ax.legend(handles=handles, loc='upper center',
              bbox_to_anchor=(0.5, 0.0), ncol=min(len(handles), 3),
              frameon=False, fontsize='small')
    ax.set_xlim(-1.6, L + _W / 2 + 0.15)
    ax.set_ylim(bottom, top)
    ax.set_aspect('equal')
    ax.set_axis_off()
    ax.set_title(title)
    return ax
