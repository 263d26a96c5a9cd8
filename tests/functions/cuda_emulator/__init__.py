"""Run the project's CUDA C kernels on the CPU, for tests without a GPU.

The very ``.cu`` file that CuPy compiles is compiled by g++ with
``cuda_on_cpu.h``, which defines the CUDA built-ins. :class:`EmulatedKernel`
has :class:`cupy.RawKernel`'s call signature ``kernel(grid, block, args)``
and runs every (block, thread) of a launch (1-D blocks, 1-D or 2-D grids)
in turn, passing NumPy arrays
as pointers and NumPy scalars by value, so the grid and block sizes, the
argument order and the dtypes chosen by the launch code are all exercised.
"""

import ctypes
import os
import shutil
import subprocess
import tempfile

import numpy


HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      'cuda_on_cpu.h')

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
    lib = os.path.join(out_dir, '{}{}.so'.format(
        os.path.basename(path),
        ''.join('.{}-{}'.format(k, v) for k, v in sorted(defines.items()))))
    subprocess.check_call(
        ['g++', '-O2', '-shared', '-fPIC', '-std=c++14', '-include', HEADER]
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
    :func:`sparsemask.cuda.fdn_stage_kernels`."""

    def __init__(self, lib, max_groups=None, **kwargs):
        self.forward = EmulatedKernel(lib, 'fdn_stage_forward',
                                      max_groups=max_groups, **kwargs)
        self.backward_rows = EmulatedKernel(lib, 'fdn_stage_backward_rows',
                                            **kwargs)
        self.backward_cols = EmulatedKernel(lib, 'fdn_stage_backward_cols',
                                            **kwargs)
