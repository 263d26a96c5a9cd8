"""Data sets: VOC2012 + SBD (trainaug), ADE20K and the synthetic default."""

from sparsemask.datasets.random_transform_dataset import RandomTransformDataset  # NOQA
from sparsemask.datasets.synthetic_segmentation_dataset import SyntheticSegmentationDataset  # NOQA
