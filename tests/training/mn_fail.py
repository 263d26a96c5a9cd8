"""Run under mpiexec by test_chainermn.py: the search script's entry point,
with rank 0's fourth snapshot hitting ENOSPC when the first argument is
``enospc`` (the rest are the script's arguments)."""

import errno
import os
import sys

import numpy

from sparsemask.training.cli import main


def run():
    mode, argv = sys.argv[1], sys.argv[2:]
    if mode == 'enospc':
        import mpi4py.MPI
        if mpi4py.MPI.COMM_WORLD.rank == 0:
            # snapshots are written by numpy.savez (uncompressed)
            real = numpy.savez

            def savez(file, *args, **kwargs):
                name = str(getattr(file, 'name', file))
                if os.path.basename(name) == 'snapshot_iter_4':
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC),
                                  name)
                return real(file, *args, **kwargs)

            numpy.savez = savez
    main('search', 'mn failure test', os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))), argv)


if __name__ == '__main__':
    run()
