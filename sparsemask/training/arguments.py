import argparse
import os

from sparsemask.cuda import require_gpu
from sparsemask.training.check_launcher import check_launcher
from sparsemask.training.config import load_config
from sparsemask.training.report_failure import DEBUG_ENV


def add_arguments(parser, default_config=None):
    """Adds the options every trainer script takes.

    Args:
        parser (argparse.ArgumentParser): the parser.
        default_config (str): the config used when ``--config`` is absent.

    """
    parser.add_argument('--config', default=default_config,
                        help='YAML config (default: %(default)s)')
    parser.add_argument('--out', default=None,
                        help='output directory (default: result/<config>)')
    parser.add_argument('--gpu', type=int, default=-1,
                        help='GPU id, -1 for CPU; under mpiexec each process '
                        'uses its intra-node rank when >= 0')
    parser.add_argument('--communicator', default=None,
                        choices=('naive', 'flat', 'pure_nccl'),
                        help='run under ChainerMN (mpiexec -n N) with this '
                        'communicator')
    parser.add_argument('--resume', action='store_true',
                        help='continue from the newest snapshot in --out '
                        'that can be read (by iteration number)')
    parser.add_argument('--debug', action='store_true',
                        help='print the traceback of every error (also: '
                        'environment variable {}=1)'.format(DEBUG_ENV))
    parser.add_argument('overrides', nargs='*', metavar='section.key=value',
                        help='config overrides, e.g. train.batchsize=8')


def setup(args, repo_root):
    """Resolves the config, the output directory, the device and the
    communicator from parsed arguments.

    Args:
        args (argparse.Namespace): arguments of :func:`add_arguments`.
        repo_root (str): where relative default paths start.

    Returns:
        tuple: ``(config, out, device, comm)``.

    Raises:
        ConfigError: for a bad config file or override, or when started by
            an MPI launcher without ``--communicator`` (see
            :func:`~sparsemask.training.check_launcher.check_launcher`;
            checked first).

    """
    check_launcher(args.communicator)
    config = load_config(args.config, args.overrides)
    out = args.out
    if out is None:
        name = os.path.splitext(os.path.basename(args.config or 'default'))[0]
        out = os.path.join(repo_root, 'result', name)
    comm, device = create_communicator(args.communicator, args.gpu)
    return config, out, device, comm


def create_communicator(name, gpu):
    """The ChainerMN communicator and the device of this process.

    Args:
        name (str): ``--communicator`` (None: no ChainerMN).
        gpu (int): ``--gpu``; under ChainerMN a process uses the GPU of
            its intra-node rank when it is >= 0.

    Returns:
        tuple: ``(comm, device)``; ``comm`` is None without ChainerMN.

    Raises:
        ConfigError: ``name`` is None but an MPI launcher started several
            processes (see
            :func:`~sparsemask.training.check_launcher.check_launcher`).
        GPUUnavailableError: a GPU was requested and CuPy cannot use it
            (see :func:`sparsemask.cuda.require_gpu`).

    """
    check_launcher(name)
    if name is None:
        require_gpu(gpu)
        return None, gpu
    import chainermn
    comm = chainermn.create_communicator(name)
    device = comm.intra_rank if gpu >= 0 else gpu
    require_gpu(device)
    return comm, device


def add_trained_model_arguments(parser, name='run'):
    """Adds the options that name a trained model, as
    :func:`~sparsemask.training.load_trained_model` takes them: a run's
    output directory, or ``--config``, ``--model`` and ``--arch``.

    Args:
        parser (argparse.ArgumentParser): the parser.
        name (str): the name of the positional output-directory argument.

    """
    upper = name.upper()
    parser.add_argument(name, nargs='?', default=None,
                        help='the --out directory of train/retrain.py')
    parser.add_argument('--config', default=None,
                        help='config (default: {}/config.yaml)'.format(upper))
    parser.add_argument('--model', default=None,
                        help='model.npz or snapshot (default: '
                        '{}/model.npz, else the newest snapshot)'.format(
                            upper))
    parser.add_argument('--arch', default=None,
                        help='arch.yaml, full or unet (default: '
                        "{}/arch.yaml, else the config's model.arch)".format(
                            upper))


def make_parser(description, default_config=None):
    """Returns a parser with :func:`add_arguments`.

    Args:
        description (str): the script's description.
        default_config (str): see :func:`add_arguments`.

    Returns:
        argparse.ArgumentParser: the parser.

    """
    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser, default_config)
    return parser
