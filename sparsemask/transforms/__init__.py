"""Data augmentation of the training protocol."""

from sparsemask.transforms.segmentation_train_transform import SegmentationTrainTransform  # NOQA
