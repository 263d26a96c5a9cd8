from sparsemask.functions.sparse_loss import default_alpha  # NOQA
from sparsemask.functions.sparse_loss import sparse_loss  # NOQA
