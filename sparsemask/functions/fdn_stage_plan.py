"""The plan of one FDN stage: :mod:`kernels.fdn_stage_plan` (re-exported).

It lives in the Chainer-free ``kernels`` package (see
:mod:`sparsemask.cuda.kernel_package`), beside the kernels it plans for.
"""

from sparsemask.cuda.kernel_package import fdn_stage_plan as _plan_module

StagePlan = _plan_module.StagePlan
interpolation_axis = _plan_module.interpolation_axis
interpolation_matrix = _plan_module.interpolation_matrix
stage_plan = _plan_module.stage_plan
_csr = _plan_module._csr
_plan = _plan_module._plan
