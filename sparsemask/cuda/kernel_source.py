"""Where the CUDA sources are: :mod:`kernels.loader` (re-exported)."""

from sparsemask.cuda.kernel_package import loader

kernel_path = loader.kernel_path
kernel_source = loader.kernel_source
