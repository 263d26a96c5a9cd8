"""Iterator helpers for exactly resumable training."""

from sparsemask.iterators.epoch_shuffle_order_sampler import EpochShuffleOrderSampler  # NOQA
