import io
import os

import matplotlib
matplotlib.use('Agg')
from matplotlib import patches  # NOQA
from matplotlib import pyplot as plt  # NOQA
import numpy  # NOQA
from PIL import Image  # NOQA
import pytest  # NOQA

from sparsemask.connectivity import Connectivity  # NOQA
from sparsemask.visualizations import vis_connectivity  # NOQA
from sparsemask.visualizations._style import EDGE_COLORS  # NOQA


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def architectures():
    return [
        Connectivity(9, {9: ['E9'], 8: ['E8', 'E9', 'D9'],
                         3: ['E3', 'E4', 'D8'],
                         1: ['E1', 'E2', 'E6', 'D3']}),
        Connectivity.from_yaml(os.path.join(
            ROOT, 'configs', 'arch', 'sparsemask_mobilenetv2_voc.yaml')),
        Connectivity.full(3),
        Connectivity.full(9),
        Connectivity.unet(4),
        Connectivity(1, {1: ['G']}),
    ]


def gids(ax, prefix):
    return [p.get_gid()[len(prefix):] for p in ax.patches
            if (p.get_gid() or '').startswith(prefix)]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close('all')


@pytest.mark.parametrize('connectivity', architectures(), ids=repr)
def test_one_arrow_per_connection(connectivity):
    ax = vis_connectivity(connectivity)
    arrows = [p for p in ax.patches
              if (p.get_gid() or '').startswith('connection:')]
    assert all(isinstance(p, patches.FancyArrowPatch) for p in arrows)
    assert len(arrows) == connectivity.n_connections
    expected = ['{}->D{}'.format(name, l) for l in connectivity.stages
                for name in connectivity.inputs(l)]
    assert sorted(gids(ax, 'connection:')) == sorted(expected)
    # nothing else is drawn as an arrow
    others = [p for p in ax.patches if isinstance(p, patches.FancyArrowPatch)
              and not (p.get_gid() or '').startswith(
                  ('connection:', 'backbone:'))]
    assert others == []


@pytest.mark.parametrize('connectivity', architectures(), ids=repr)
def test_backbone_and_nodes(connectivity):
    L = connectivity.n_stages
    ax = vis_connectivity(connectivity)
    flow = ['E{}'.format(i) for i in range(1, L + 1)] + ['G']
    assert gids(ax, 'backbone:') == [
        '{}->{}'.format(a, b) for a, b in zip(flow[:-1], flow[1:])]
    decoder = ['D{}'.format(l) for l in range(1, L + 1)]
    assert gids(ax, 'node:') == flow + decoder
    texts = [t.get_text() for t in ax.texts]
    for name in flow + decoder:
        assert texts.count(name) == 1


def test_arrow_colours_follow_the_input_kind():
    connectivity = Connectivity(3, {3: ['E3', 'G'], 2: ['E2', 'D3'],
                                    1: ['E1', 'D2', 'D3', 'G']})
    ax = vis_connectivity(connectivity)
    for p in ax.patches:
        gid = p.get_gid() or ''
        if gid.startswith('connection:'):
            kind = gid[len('connection:')]
            assert matplotlib.colors.same_color(p.get_edgecolor(),
                                                EDGE_COLORS[kind])


def test_pruned_stages():
    connectivity = Connectivity(4, {4: ['E4', 'G'], 1: ['E1', 'D4']})
    ax = vis_connectivity(connectivity)
    boxes = {p.get_gid()[len('node:'):]: p for p in ax.patches
             if (p.get_gid() or '').startswith('node:')}
    assert boxes['D2'].get_linestyle() == '--'
    assert boxes['D3'].get_linestyle() == '--'
    assert boxes['D1'].get_linestyle() == '-'
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert 'pruned stage' in labels

    ax = vis_connectivity(connectivity, show_pruned=False)
    assert sorted(gids(ax, 'node:')) == sorted(
        ['E1', 'E2', 'E3', 'E4', 'G', 'D1', 'D4'])
    assert len(gids(ax, 'connection:')) == 4


def test_draws_into_the_given_axes_and_renders():
    fig = plt.figure(figsize=(6, 3))
    ax = fig.add_subplot(1, 1, 1)
    connectivity = Connectivity.unet(3)
    assert vis_connectivity(connectivity, ax=ax, title='U-Net') is ax
    assert ax.get_title() == 'U-Net'
    buf = io.BytesIO()
    fig.savefig(buf, format='png', bbox_inches='tight')
    image = numpy.asarray(Image.open(io.BytesIO(buf.getvalue())))
    assert image.shape[0] > 50 and image.shape[1] > 100
    # something is drawn
    assert image[..., :3].std() > 10


def test_default_title():
    ax = vis_connectivity(Connectivity.unet(2))
    assert ax.get_title() == '4 connections; decoder stages D2 D1'
