from sparsemask.links.aspp_decoder import ASPPDecoder  # NOQA
from sparsemask.links.fdn_decoder import FDNDecoder  # NOQA
from sparsemask.links.fdn_stage import FDNStage  # NOQA
from sparsemask.links.sparse_mask import SparseMask  # NOQA
from sparsemask.links.pixelwise_sigmoid_classifier import PixelwiseSigmoidClassifier  # NOQA
