from sparsemask.functions.sparse_loss import default_alpha  # NOQA
from sparsemask.functions.sparse_loss import sparse_loss  # NOQA
from sparsemask.functions.fdn_stage import fdn_stage  # NOQA
