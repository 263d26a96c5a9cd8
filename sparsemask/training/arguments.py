import argparse
import os

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
        ConfigError: for a bad config file or override.

    """
    config = load_config(args.config, args.overrides)
    out = args.out
    if out is None:
        name = os.path.splitext(os.path.basename(args.config or 'default'))[0]
        out = os.path.join(repo_root, 'result', name)
    comm = None
    device = args.gpu
    if args.communicator is not None:
        import chainermn
        comm = chainermn.create_communicator(args.communicator)
        if device >= 0:
            device = comm.intra_rank
    return config, out, device, comm


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
