"""The fused stage's compiled kernels: :mod:`kernels.loader` (re-exported).

:func:`fdn_stage_kernels` compiles ``kernels/fdn_stage.cu`` with
:class:`cupy.RawModule` on first use (never at import) and memoizes it per
device.
"""

from sparsemask.cuda.kernel_package import loader

FDNStageKernels = loader.FDNStageKernels
fdn_stage_kernels = loader.fdn_stage_kernels
