"""What the architecture diagrams share: the colours of nodes and edges."""

from sparsemask.connectivity import parse_input


#: edge colour by the kind of a connection's input
EDGE_COLORS = {'E': '#1f77b4', 'D': '#ff7f0e', 'G': '#2ca02c'}

#: node fill colour by kind
NODE_COLORS = {'E': '#d6e6f4', 'D': '#fde3c8', 'G': '#d5efd5'}

#: the backbone's own flow (E_i -> E_{i+1} -> ... -> G)
BACKBONE_COLOR = '#666666'

#: a decoder stage that was pruned
PRUNED_COLOR = '#999999'

#: legend text by the kind of a connection's input
EDGE_LABELS = {'E': 'encoder E$_i$ \u2192 D$_l$',
               'D': 'decoder D$_i$ \u2192 D$_l$',
               'G': 'global pool G \u2192 D$_l$'}


def kind_of(name):
    """``'E'``, ``'D'`` or ``'G'``: the kind of a stage or input name."""
    return parse_input(name)[0]
