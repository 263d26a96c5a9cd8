"""Writes figures and architecture diagrams into a directory."""

import os
import shutil
import subprocess
import sys

from sparsemask.utils.atomic_write import atomic_open
from sparsemask.utils.atomic_write import atomic_write_text
from sparsemask.utils.one_line import one_line
from sparsemask.visualizations.connectivity_dot import connectivity_dot
from sparsemask.visualizations.vis_connectivity import vis_connectivity


class FigureWriter(object):
    """Writes figures as PNG into a directory, each file atomically.

    Every file written is printed (``wrote PATH``) and listed in
    :attr:`written`.

    Args:
        out (str): the directory (it must exist).
        log (file): where to print (default: ``sys.stdout``).
        dpi (int): the resolution of the PNG files.

    """

    def __init__(self, out, log=None, dpi=120):
        self.out = out
        self.log = log or sys.stdout
        self.dpi = dpi
        #: the files written, in order
        self.written = []

    def _wrote(self, path):
        self.written.append(path)
        print('wrote {}'.format(path), file=self.log)

    def save(self, fig, name):
        """Writes a figure as ``<out>/<name>`` (PNG) and closes it.

        Args:
            fig (matplotlib.figure.Figure): the figure.
            name (str): the file name.

        Returns:
            str: the path written.

        """
        from matplotlib import pyplot as plt

        path = os.path.join(self.out, name)
        with atomic_open(path, 'wb') as f:
            fig.savefig(f, format='png', bbox_inches='tight', dpi=self.dpi)
        plt.close(fig)
        self._wrote(path)
        return path

    def diagram(self, connectivity, name, title=None):
        """Writes an architecture as ``<name>.dot`` (Graphviz source),
        ``<name>.png`` (:func:`~sparsemask.visualizations.vis_connectivity`)
        and, where the ``dot`` program is on the PATH, ``<name>_dot.png``
        (its rendering; a failure of ``dot`` is a warning on stderr).

        Args:
            connectivity (~sparsemask.Connectivity): the architecture.
            name (str): the files' name without extension.
            title (str): the diagram's title.

        """
        source = connectivity_dot(connectivity, title=title)
        path = os.path.join(self.out, name + '.dot')
        atomic_write_text(path, source)
        self._wrote(path)
        ax = vis_connectivity(connectivity, title=title)
        self.save(ax.figure, name + '.png')
        dot = shutil.which('dot')
        if dot is None:
            return
        result = subprocess.run([dot, '-Tpng'], input=source.encode(),
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        if result.returncode != 0 or not result.stdout:
            sys.stderr.write(
                'warning: {} -Tpng failed on {} (exit status {}): '
                '{}\n'.format(dot, path, result.returncode, one_line(
                    result.stderr.decode(errors='replace'))))
            return
        path = os.path.join(self.out, name + '_dot.png')
        with atomic_open(path, 'wb') as f:
            f.write(result.stdout)
        self._wrote(path)
