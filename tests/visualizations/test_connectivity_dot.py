import os
import re
import shutil
import subprocess

import pytest

from sparsemask.connectivity import Connectivity
from sparsemask.visualizations import connectivity_dot


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

EDGE = re.compile(r'^\s*(\w+) -> (\w+) \[(.*)\];$')
NODE = re.compile(r'^\s*(\w+) \[fillcolor="#[0-9a-f]{6}"\];$')
RANK = re.compile(r'^\s*\{ rank=same; (.*); \}$')


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


def parse(source):
    edges, nodes, ranks = [], [], []
    for line in source.splitlines():
        m = EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3)))
        m = NODE.match(line)
        if m:
            nodes.append(m.group(1))
        m = RANK.match(line)
        if m:
            ranks.append(m.group(1).split('; '))
    return edges, nodes, ranks


@pytest.mark.parametrize('connectivity', architectures(), ids=repr)
def test_one_edge_per_connection(connectivity):
    source = connectivity_dot(connectivity)
    assert source.startswith('digraph SparseMask {')
    assert source.rstrip().endswith('}')
    edges, _, _ = parse(source)
    visible = [(a, b) for a, b, attrs in edges if 'style=invis' not in attrs]
    into_decoder = [(a, b) for a, b in visible if b.startswith('D')]
    expected = [(name, 'D{}'.format(l)) for l in connectivity.stages
                for name in connectivity.inputs(l)]
    assert len(into_decoder) == connectivity.n_connections
    assert sorted(into_decoder) == sorted(expected)


@pytest.mark.parametrize('connectivity', architectures(), ids=repr)
def test_backbone_and_layout_edges(connectivity):
    L = connectivity.n_stages
    edges, _, _ = parse(connectivity_dot(connectivity))
    flow = ['E{}'.format(i) for i in range(1, L + 1)] + ['G']
    backbone = [(a, b) for a, b, attrs in edges
                if not b.startswith('D')]
    assert backbone == list(zip(flow[:-1], flow[1:]))
    # invisible edges only align D<l> under E<l>, where that is not a
    # connection already
    invisible = [(a, b) for a, b, attrs in edges if 'style=invis' in attrs]
    assert invisible == [
        ('E{}'.format(l), 'D{}'.format(l)) for l in connectivity.stages
        if 'E{}'.format(l) not in connectivity.inputs(l)]
    # decoder-to-decoder edges do not change the ranks
    for a, b, attrs in edges:
        if a.startswith('D'):
            assert 'constraint=false' in attrs


@pytest.mark.parametrize('connectivity', architectures(), ids=repr)
def test_nodes_per_stage(connectivity):
    L = connectivity.n_stages
    _, nodes, ranks = parse(connectivity_dot(connectivity))
    encoder = ['E{}'.format(i) for i in range(1, L + 1)] + ['G']
    decoder = ['D{}'.format(l) for l in sorted(connectivity.stages)]
    # pruned decoder stages are left out
    assert nodes == encoder + decoder
    assert ranks == [encoder, decoder]


def test_pruned_stages_are_left_out():
    connectivity = Connectivity(4, {4: ['E4', 'G'], 1: ['E1', 'D4']})
    source = connectivity_dot(connectivity)
    for name in ('D2', 'D3'):
        assert not re.search(r'\b{}\b'.format(name), source)


def test_title():
    connectivity = Connectivity.unet(2)
    source = connectivity_dot(connectivity)
    assert 'label="4 connections; decoder stages D2 D1"' in source
    source = connectivity_dot(connectivity, title='a "quoted" \\ title')
    assert r'label="a \"quoted\" \\ title"' in source


@pytest.mark.skipif(shutil.which('dot') is None,
                    reason='Graphviz (dot) is not installed')
@pytest.mark.parametrize('connectivity', architectures()[:3], ids=repr)
def test_graphviz_renders_it(connectivity):
    result = subprocess.run(
        [shutil.which('dot'), '-Tpng'],
        input=connectivity_dot(connectivity).encode(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b'\x89PNG')
