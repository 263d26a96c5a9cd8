"""The Chainer-free package of the CUDA kernels, as this install has it.

The kernels, their launch code and the stage plan live in the repository's
top-level ``kernels/`` package, which imports NumPy only (so that the GPU
checks run where Chainer cannot import: ``python3 -c "import
kernels.fdn_stage_launch"`` from the repository root). An installed wheel
ships it as ``sparsemask.kernels``; a source checkout (editable install, or
``PYTHONPATH`` set to the checkout) has it as ``kernels``. Every module of
sparsemask imports it through this one, so that one copy (one plan cache,
one compiled-kernel cache) is used.
"""

import importlib
import importlib.util


def _package_name():
    try:
        if importlib.util.find_spec('sparsemask.kernels') is not None:
            return 'sparsemask.kernels'
    except ImportError:
        pass
    return 'kernels'


#: ``'sparsemask.kernels'`` (installed) or ``'kernels'`` (source checkout)
PACKAGE = _package_name()

loader = importlib.import_module(PACKAGE + '.loader')
fdn_stage_plan = importlib.import_module(PACKAGE + '.fdn_stage_plan')
fdn_stage_launch = importlib.import_module(PACKAGE + '.fdn_stage_launch')
