import io
import os
import stat

import matplotlib
matplotlib.use('Agg')
from matplotlib import pyplot  # NOQA: E402
from PIL import Image  # NOQA: E402

from sparsemask.connectivity import Connectivity  # NOQA: E402
from sparsemask.visualizations import FigureWriter  # NOQA: E402


def test_save_writes_a_png_and_lists_it(tmp_path):
    log = io.StringIO()
    writer = FigureWriter(str(tmp_path), log)
    fig, ax = pyplot.subplots()
    ax.plot([0, 1], [1, 0])
    path = writer.save(fig, 'line.png')
    assert path == os.path.join(str(tmp_path), 'line.png')
    assert writer.written == [path]
    assert log.getvalue() == 'wrote {}\n'.format(path)
    assert not pyplot.fignum_exists(fig.number)   # closed
    with Image.open(path) as image:
        assert image.format == 'PNG'
    assert os.listdir(str(tmp_path)) == ['line.png']


def test_diagram_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv('PATH', str(tmp_path / 'no_bin'))
    out = tmp_path / 'out'
    out.mkdir()
    writer = FigureWriter(str(out), io.StringIO())
    writer.diagram(Connectivity.unet(4), 'unet', title='U-Net')
    assert writer.written == [str(out / 'unet.dot'), str(out / 'unet.png')]
    assert 'U-Net' in (out / 'unet.dot').read_text()


def test_diagram_rendered_by_dot(tmp_path, monkeypatch):
    # a `dot` that ignores its input and prints a known PNG
    png = tmp_path / 'known.png'
    Image.new('RGB', (40, 20), (255, 0, 0)).save(str(png))
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    dot = bin_dir / 'dot'
    dot.write_text('#!/bin/sh\n/bin/cat > /dev/null\n'
                   'exec /bin/cat {}\n'.format(png))
    dot.chmod(dot.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv('PATH', str(bin_dir))
    out = tmp_path / 'out'
    out.mkdir()
    writer = FigureWriter(str(out), io.StringIO())
    writer.diagram(Connectivity.full(3), 'fdn')
    assert writer.written[-1] == str(out / 'fdn_dot.png')
    assert (out / 'fdn_dot.png').read_bytes() == png.read_bytes()
