"""pyEdgeEval, imported without its import-time message."""

import contextlib
import io


def import_py_edge_eval():
    """Imports pyEdgeEval, dropping what it prints when imported.

    pyEdgeEval 0.2.8 prints ``WARN: cannot load newer versions of .mat
    files`` on import when the optional pymatreader is missing; the BSDS500
    ground truth is MATLAB v5 and needs it not. Raises ImportError as the
    import does.
    """
    with contextlib.redirect_stdout(io.StringIO()):
        import pyEdgeEval  # NOQA
        import pyEdgeEval.utils  # NOQA
