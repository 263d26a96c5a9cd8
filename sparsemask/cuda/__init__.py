"""CUDA sources and their lazy, memoized loading (CuPy is optional)."""

from sparsemask.cuda.fdn_stage_kernels import fdn_stage_kernels  # NOQA
from sparsemask.cuda.kernel_source import kernel_path  # NOQA
from sparsemask.cuda.kernel_source import kernel_source  # NOQA
from sparsemask.cuda.gpu_unavailable_error import GPUUnavailableError  # NOQA
from sparsemask.cuda.require_gpu import require_gpu  # NOQA
