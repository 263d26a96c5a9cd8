"""Run the project's CUDA C kernels on the CPU, for tests without a GPU.

The very ``.cu`` file that CuPy compiles is compiled by g++ with
``cuda_on_cpu.h``, which defines the CUDA built-ins. :class:`EmulatedKernel`
has :class:`cupy.RawKernel`'s call signature ``kernel(grid, block, args)``
and runs every (block, thread) of a 1-D launch in turn, passing NumPy arrays
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


def compile_cu(path, out_dir=None):
    """Compiles a ``.cu`` file into a shared library with g++.

    Returns:
        ctypes.CDLL

    """
    if shutil.which('g++') is None:
        raise RuntimeError('g++ is needed to run CUDA kernels on the CPU')
    out_dir = out_dir or tempfile.mkdtemp(prefix='cuda_emulator_')
    lib = os.path.join(out_dir, os.path.basename(path) + '.so')
    subprocess.check_call([
        'g++', '-O2', '-shared', '-fPIC', '-std=c++14', '-include', HEADER,
        '-x', 'c++', path, '-o', lib])
    return ctypes.CDLL(lib)


class EmulatedKernel(object):
    """A kernel of a compiled library, called like :class:`cupy.RawKernel`.

    Args:
        lib (ctypes.CDLL): from :func:`compile_cu`.
        name (str): the ``extern "C"`` kernel name.
        max_grid (int): the launch code reads this to cap the grid (small
            values exercise grid-stride loops and keep emulation fast).

    """

    def __init__(self, lib, name, max_grid=16, block=32):
        self.fn = getattr(lib, name)
        self.fn.restype = None
        self.set = lib.cuda_emulator_set
        self.name = name
        self.max_grid = max_grid
        self.block = block
        self.launches = []

    def __call__(self, grid, block, args):
        grid, block = tuple(grid), tuple(block)
        if grid[1:] not in ((), (1,), (1, 1)) or \
                block[1:] not in ((), (1,), (1, 1)):
            raise ValueError('only 1-D launches are emulated')
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
        for bx in range(grid[0]):
            for tx in range(block[0]):
                self.set(grid[0], bx, block[0], tx)
                self.fn(*c_args)


class EmulatedModule(object):
    """The ``forward`` and ``backward`` kernels of ``fdn_stage.cu``."""

    def __init__(self, lib, forward='fdn_stage_forward',
                 backward='fdn_stage_backward', **kwargs):
        self.forward = EmulatedKernel(lib, forward, **kwargs)
        self.backward = EmulatedKernel(lib, backward, **kwargs)
