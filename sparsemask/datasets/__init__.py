"""Data sets: VOC2012 + SBD (trainaug), ADE20K, a folder of your own, the
synthetic default and the synthetic Table 1 benchmark for segmentation;
MSRA-B and a synthetic set for saliency; BSDS500 and a synthetic set for
edge detection."""

from sparsemask.datasets.ade20k_semantic_segmentation_dataset import ADE20KSemanticSegmentationDataset  # NOQA
from sparsemask.datasets.bsds500_edge_dataset import BSDS500EdgeDataset  # NOQA
from sparsemask.datasets.folder_semantic_segmentation_dataset import FolderSemanticSegmentationDataset  # NOQA
from sparsemask.datasets.msrab_saliency_dataset import MSRABSaliencyDataset  # NOQA
from sparsemask.datasets.random_transform_dataset import RandomTransformDataset  # NOQA
from sparsemask.datasets.sbd_semantic_segmentation_dataset import SBDSemanticSegmentationDataset  # NOQA
from sparsemask.datasets.synthetic_benchmark_dataset import SyntheticBenchmarkDataset  # NOQA
from sparsemask.datasets.synthetic_edge_dataset import SyntheticEdgeDataset  # NOQA
from sparsemask.datasets.synthetic_saliency_dataset import SyntheticSaliencyDataset  # NOQA
from sparsemask.datasets.synthetic_segmentation_dataset import SyntheticSegmentationDataset  # NOQA
from sparsemask.datasets.voc_aug_semantic_segmentation_dataset import VOCAugSemanticSegmentationDataset  # NOQA
