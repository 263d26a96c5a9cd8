"""Run this package's CUDA C kernels on the CPU, without a GPU.

The very ``.cu`` file that CuPy compiles is compiled by g++ with a small
header (:data:`HEADER_SOURCE`) that defines the CUDA built-ins.
:class:`EmulatedKernel` has :class:`cupy.RawKernel`'s call signature
``kernel(grid, block, args)`` and runs every (block, thread) of a launch
(1-D blocks, 1-D or 2-D grids) in turn, passing NumPy arrays as pointers and
NumPy scalars by value, so the grid and block sizes, the argument order and
the dtypes chosen by the launch code are all exercised. NumPy and g++ only
(no Chainer): the tests and ``scripts/gpu_kernel_check.py --emulate`` use
it. :func:`emulated_kernels` gives the three kernels of ``fdn_stage.cu``
with the attributes of :func:`kernels.loader.fdn_stage_kernels`.
"""

import ctypes
import os
import shutil
import subprocess
import tempfile

import numpy


#: the header g++ includes before the ``.cu`` file (written next to the
#: compiled library as ``cuda_on_cpu.h``)
HEADER_SOURCE = '''\
// Lets a CUDA C kernel that uses only blockIdx/threadIdx/blockDim/gridDim,
// arithmetic and atomicAdd (1-D blocks, 1-D or 2-D grids) compile with g++
// and run on the CPU. The launcher (kernels/emulator.py) sets the indices of
// each (block, thread) and calls the kernel once per thread, serially, so
// atomicAdd is a plain add.
#include <cmath>
#include <cstdint>

struct dim3 { unsigned int x, y, z; };

static dim3 blockIdx, threadIdx, blockDim, gridDim;

#define __global__
#define __device__ inline
#define __host__
#define __forceinline__
#define __restrict__
#pragma GCC diagnostic ignored "-Wunknown-pragmas"

static inline float atomicAdd(float* p, float v) {
    float old = *p;
    *p = old + v;
    return old;
}

extern "C" void cuda_emulator_set(unsigned int gx, unsigned int gy,
                                  unsigned int bx, unsigned int by,
                                  unsigned int bdx, unsigned int tx) {
    gridDim.x = gx; gridDim.y = gy; gridDim.z = 1;
    blockDim.x = bdx; blockDim.y = 1; blockDim.z = 1;
    blockIdx.x = bx; blockIdx.y = by; blockIdx.z = 0;
    threadIdx.x = tx; threadIdx.y = 0; threadIdx.z = 0;
}
'''

_CTYPES = {
    numpy.dtype(numpy.int32): ctypes.c_int32,
    numpy.dtype(numpy.int64): ctypes.c_int64,
    numpy.dtype(numpy.uint32): ctypes.c_uint32,
    numpy.dtype(numpy.uint64): ctypes.c_uint64,
    numpy.dtype(numpy.float32): ctypes.c_float,
    numpy.dtype(numpy.float64): ctypes.c_double,
}


def compile_cu(path, out_dir=None, defines=None):
    """Compiles a ``.cu`` file into a shared library with g++.

    Args:
        path (str): the ``.cu`` file.
        out_dir (str): where the library goes (a new temporary directory
            if None).
        defines (dict): preprocessor macros, ``{'NAME': value}``.

    Returns:
        ctypes.CDLL

    """
    if shutil.which('g++') is None:
        raise RuntimeError('g++ is needed to run CUDA kernels on the CPU')
    out_dir = out_dir or tempfile.mkdtemp(prefix='cuda_emulator_')
    defines = defines or {}
    header = os.path.join(out_dir, 'cuda_on_cpu.h')
    with open(header, 'w') as f:
        f.write(HEADER_SOURCE)
    lib = os.path.join(out_dir, '{}{}.so'.format(
        os.path.basename(path),
        ''.join('.{}-{}'.format(k, v) for k, v in sorted(defines.items()))))
    subprocess.check_call(
        ['g++', '-O2', '-shared', '-fPIC', '-std=c++14', '-include', header]
        + ['-D{}={}'.format(k, v) for k, v in sorted(defines.items())]
        + ['-x', 'c++', path, '-o', lib])
    return ctypes.CDLL(lib)


class EmulatedKernel(object):
    """A kernel of a compiled library, called like :class:`cupy.RawKernel`.

    Args:
        lib (ctypes.CDLL): from :func:`compile_cu`.
        name (str): the ``extern "C"`` kernel name.
        max_grid (int): the launch code reads this to cap each grid
            dimension (small values exercise grid-stride loops and keep
            emulation fast).
        block (int): the block size the launch code reads.
        max_groups (int): for ``fdn_stage_forward``, the launch code reads
            this as the kernel's FDN_MAX_GROUPS (None: its default).

    """

    def __init__(self, lib, name, max_grid=16, block=32, max_groups=None):
        self.fn = getattr(lib, name)
        self.fn.restype = None
        self.set = lib.cuda_emulator_set
        self.name = name
        self.max_grid = max_grid
        self.block = block
        if max_groups is not None:
            self.max_groups = max_groups
        self.launches = []

    def __call__(self, grid, block, args):
        grid, block = tuple(grid), tuple(block)
        if grid[2:] not in ((), (1,)) or block[1:] not in ((), (1,), (1, 1)):
            raise ValueError('only 1-D blocks and 1-D or 2-D grids are '
                             'emulated')
        gx, gy = grid[0], (grid[1] if len(grid) > 1 else 1)
        c_args = []
        for a in args:
            if isinstance(a, numpy.ndarray):
                if not a.flags.c_contiguous:
                    raise ValueError('{}: a kernel argument is not C-'
                                     'contiguous'.format(self.name))
                c_args.append(ctypes.c_void_p(a.ctypes.data))
            elif isinstance(a, numpy.generic):
                c_args.append(_CTYPES[a.dtype](a))
            else:
                raise TypeError(
                    '{}: argument {!r} is neither an array nor a NumPy '
                    'scalar (CuPy would reject or mis-type it)'.format(
                        self.name, type(a)))
        self.launches.append((grid, block))
        for by in range(gy):
            for bx in range(gx):
                for tx in range(block[0]):
                    self.set(gx, gy, bx, by, block[0], tx)
                    self.fn(*c_args)


class EmulatedModule(object):
    """The kernels of ``fdn_stage.cu``, with the attributes of
    :func:`kernels.loader.fdn_stage_kernels`."""

    def __init__(self, lib, max_groups=None, **kwargs):
        self.forward = EmulatedKernel(lib, 'fdn_stage_forward',
                                      max_groups=max_groups, **kwargs)
        self.backward_rows = EmulatedKernel(lib, 'fdn_stage_backward_rows',
                                            **kwargs)
        self.backward_cols = EmulatedKernel(lib, 'fdn_stage_backward_cols',
                                            **kwargs)


def emulated_kernels(out_dir=None, defines=None, **kwargs):
    """The kernels of ``fdn_stage.cu`` compiled by g++ for the CPU.

    Args:
        out_dir (str): where the library goes (see :func:`compile_cu`).
        defines (dict): preprocessor macros (``FDN_MAX_GROUPS``).
        **kwargs: ``max_grid``, ``block`` (see :class:`EmulatedKernel`).

    Returns:
        EmulatedModule

    """
    from .loader import kernel_path
    lib = compile_cu(kernel_path('fdn_stage.cu'), out_dir, defines)
    max_groups = (defines or {}).get('FDN_MAX_GROUPS')
    return EmulatedModule(lib, max_groups=max_groups, **kwargs)
