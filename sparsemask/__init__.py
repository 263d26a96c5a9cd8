"""SparseMask: differentiable connectivity search for dense prediction."""

from sparsemask import backbones  # NOQA
from sparsemask import functions  # NOQA
from sparsemask import links  # NOQA
from sparsemask.connectivity import Connectivity  # NOQA
from sparsemask.functions import default_alpha  # NOQA
from sparsemask.functions import sparse_loss  # NOQA
from sparsemask.links import SparseMask  # NOQA
from sparsemask.prune import prune  # NOQA
from sparsemask.transfer import transfer  # NOQA

__version__ = '0.1.0'
