"""The CPU emulator of the CUDA kernels, for the tests.

It lives in the Chainer-free kernel package (:mod:`kernels.emulator`), where
``scripts/gpu_kernel_check.py --emulate`` uses it too; re-exported here.
"""

from sparsemask.cuda.kernel_package import PACKAGE as _PACKAGE

import importlib

_emulator = importlib.import_module(_PACKAGE + '.emulator')

HEADER_SOURCE = _emulator.HEADER_SOURCE
EmulatedKernel = _emulator.EmulatedKernel
EmulatedModule = _emulator.EmulatedModule
compile_cu = _emulator.compile_cu
emulated_kernels = _emulator.emulated_kernels
