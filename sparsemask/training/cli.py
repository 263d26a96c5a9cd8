import os
import sys

from sparsemask.extensions import NonFiniteLossError
from sparsemask.training.arguments import make_parser
from sparsemask.training.arguments import setup
from sparsemask.training.config import ConfigError
from sparsemask.training.run_training import run_training


def main(mode, description, repo_root, argv=None):
    """The command line of ``train/search.py`` and ``train/retrain.py``.

    Args:
        mode (str): ``'search'`` or ``'retrain'``.
        description (str): the script's help text.
        repo_root (str): the repository; the default config is its
            ``configs/demo.yaml`` and the default output directory its
            ``result/<config name>``.
        argv (list of str): the arguments; ``sys.argv[1:]`` by default.

    Returns:
        dict: what :func:`run_training` returns.

    """
    parser = make_parser(description,
                         os.path.join(repo_root, 'configs', 'demo.yaml'))
    args = parser.parse_args(argv)
    config, out, device, comm = setup(args, repo_root)
    try:
        result = run_training(config, mode, out, device=device, comm=comm,
                              resume=args.resume)
    except (ConfigError, FileNotFoundError, NonFiniteLossError) as e:
        # what the user must fix, without a traceback
        sys.exit('error: {}'.format(e))
    if mode == 'search' and (comm is None or comm.rank == 0):
        c = result['connectivity']
        n = c.n_stages
        print('pruned: {} of {} connections kept; architecture in {}'.format(
            c.n_connections, n * (n + 1), os.path.join(out, 'arch.yaml')))
    return result
