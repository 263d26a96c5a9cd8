from sparsemask.functions.balanced_sigmoid_cross_entropy import balanced_sigmoid_cross_entropy  # NOQA
from sparsemask.functions.fdn_stage import fdn_stage  # NOQA
from sparsemask.functions.l1_loss import l1_loss  # NOQA
from sparsemask.functions.sparse_loss import default_alpha  # NOQA
from sparsemask.functions.sparse_loss import sparse_loss  # NOQA
from sparsemask.functions.topk_mask import topk_mask  # NOQA
