import os

from sparsemask.training.config import ConfigError


#: Variables an MPI launcher sets in each process it starts: the number of
#: processes of the job (or, for ``MPI_LOCALNRANKS``, on this node), by
#: launcher: Open MPI, MPICH's Hydra, Intel MPI and Slurm's PMI-2 (``srun
#: --mpi=pmi2``), MVAPICH2, Hydra again. ``SLURM_NTASKS`` is not among
#: them: it is also set in a batch job's script, which runs once.
SIZE_VARIABLES = ('OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'MV2_COMM_WORLD_SIZE',
                  'MPI_LOCALNRANKS')

#: Variables that give the rank of the process, by launcher.
RANK_VARIABLES = ('OMPI_COMM_WORLD_RANK', 'PMI_RANK', 'MV2_COMM_WORLD_RANK',
                  'PMIX_RANK')


def check_launcher(communicator, option='--communicator', environ=None):
    """Refuses to run as one of several copies started by an MPI launcher
    without a ChainerMN communicator.

    ``mpiexec -n 2 python train/search.py`` without ``--communicator``
    starts two independent runs that print every line twice and write into
    the same output directory. Called by every script before it writes
    anything, this ends each copy instead, with one ``error:`` line: the
    process of rank 0 raises :class:`ConfigError`, the others exit with
    status 1 without a word, so that the line is printed once (by each
    process when the launcher gives no rank).

    Args:
        communicator (str): the ``--communicator`` requested; None for
            none (anything else: nothing to check).
        option (str): the script's option that asks for a communicator, or
            None if the script has none (it then runs as one process only).
        environ (dict): the environment; ``os.environ`` by default.

    Raises:
        ConfigError: on rank 0, when a launcher started more than one
            process and ``communicator`` is None, e.g. ``started by an MPI
            launcher with 2 processes (PMI_SIZE=2) but without
            --communicator: add --communicator naive (or pure_nccl on
            GPUs), or run one process``.
        SystemExit: the same on the other ranks (status 1).

    """
    if communicator is not None:
        return
    environ = os.environ if environ is None else environ
    found = _launcher_size(environ)
    if found is None:
        return
    variable, size = found
    rank = _launcher_rank(environ)
    if rank is not None and rank != 0:
        raise SystemExit(1)
    started = 'started by an MPI launcher with {} processes ({}={})'.format(
        size, variable, environ[variable])
    if option is None:
        raise ConfigError('{}, but this script runs as one process: run it '
                          'without the launcher'.format(started))
    raise ConfigError(
        '{} but without {option}: add {option} naive (or pure_nccl on '
        'GPUs), or run one process'.format(started, option=option))


def _launcher_size(environ):
    # (variable, size) of the first variable that says more than one
    # process, or None
    for variable in SIZE_VARIABLES:
        size = _integer(environ.get(variable))
        if size is not None and size > 1:
            return variable, size
    return None


def _launcher_rank(environ):
    for variable in RANK_VARIABLES:
        rank = _integer(environ.get(variable))
        if rank is not None:
            return rank
    return None


def _integer(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None
