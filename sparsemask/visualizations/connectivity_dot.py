from sparsemask.visualizations._style import BACKBONE_COLOR
from sparsemask.visualizations._style import EDGE_COLORS
from sparsemask.visualizations._style import kind_of
from sparsemask.visualizations._style import NODE_COLORS


# the weight of the edges E<l> -> D<l> that align the rows
_ALIGN = 10


def connectivity_dot(connectivity, title=None):
    """The architecture as Graphviz DOT source (paper Fig. 3).

    The encoder stages ``E1 .. E<L>`` and the global pool ``G`` form the
    top row, linked by the backbone's own flow (``E1 -> E2 -> ... -> E<L>
    -> G``, grey). The decoder stages that exist form the bottom row; each
    connection of the architecture is one edge ``<input> -> D<l>``,
    coloured by the kind of its input (encoder blue, decoder orange, global
    pool green). Pruned decoder stages are left out. The edge ``E<l> ->
    D<l>`` has a high weight, so that ``D<l>`` lies under ``E<l>``, which
    has the same spatial size; where it is not a connection, it is an
    invisible edge (``style=invis``) there for the layout only.

    Render it with ``dot -Tpng``.

    Args:
        connectivity (~sparsemask.Connectivity): the architecture.
        title (str): the graph's label; by default the number of
            connections and the decoder stages.

    Returns:
        str: the DOT source, one statement per line.

    """
    L = connectivity.n_stages
    stages = connectivity.stages
    if title is None:
        title = '{} connections; decoder stages {}'.format(
            connectivity.n_connections,
            ' '.join('D{}'.format(l) for l in stages))
    encoder = ['E{}'.format(i) for i in range(1, L + 1)] + ['G']
    decoder = ['D{}'.format(l) for l in sorted(stages)]
    lines = [
        'digraph SparseMask {',
        '  graph [rankdir=TB, newrank=true, nodesep=0.3, ranksep=1.2, '
        'fontname="Helvetica", label={}, labelloc=t];'.format(_quote(title)),
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", '
        'penwidth=1.2];',
        '  edge [arrowsize=0.7, penwidth=1.2];',
    ]
    for name in encoder + decoder:
        lines.append('  {} [fillcolor="{}"];'.format(
            name, NODE_COLORS[kind_of(name)]))
    lines.append('  {{ rank=same; {}; }}'.format('; '.join(encoder)))
    lines.append('  {{ rank=same; {}; }}'.format('; '.join(decoder)))
    for a, b in zip(encoder[:-1], encoder[1:]):
        lines.append('  {} -> {} [color="{}", penwidth=2];'.format(
            a, b, BACKBONE_COLOR))
    for l in stages:
        if 'E{}'.format(l) not in connectivity.inputs(l):
            lines.append('  E{} -> D{} [style=invis, weight={}];'.format(
                l, l, _ALIGN))
    for l in stages:
        for name in connectivity.inputs(l):
            kind = kind_of(name)
            attrs = 'color="{}"'.format(EDGE_COLORS[kind])
            if name == 'E{}'.format(l):
                attrs += ', weight={}'.format(_ALIGN)
            elif kind == 'D':
                # within the decoder row: must not reorder the ranks
                attrs += ', constraint=false'
            lines.append('  {} -> D{} [{}];'.format(name, l, attrs))
    lines.append('}')
    return '\n'.join(lines) + '\n'


def _quote(text):
    return '"{}"'.format(str(text).replace('\\', '\\\\').replace('"', '\\"'))
