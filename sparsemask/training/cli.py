import os
import sys

from sparsemask.training.arguments import make_parser
from sparsemask.training.arguments import setup
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.training.run_training import run_training
from sparsemask.utils.reuse_freed_memory import reuse_freed_memory


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

    A failure is reported by
    :func:`~sparsemask.training.report_failure.report_failure` (one
    ``error:`` line; under ChainerMN the whole job is aborted) and the
    process exits with a non-zero status.

    """
    parser = make_parser(description,
                         os.path.join(repo_root, 'configs', 'demo.yaml'))
    args = parser.parse_intermixed_args(argv)
    debug = debug_requested(args.debug)
    comm = None
    reuse_freed_memory()
    try:
        config, out, device, comm = setup(args, repo_root)
        result = run_training(config, mode, out, device=device, comm=comm,
                              resume=args.resume, debug=debug)
    except SystemExit:
        raise
    except BaseException as e:
        sys.exit(report_failure(e, debug=debug, comm=comm))
    if mode == 'search' and (comm is None or comm.rank == 0):
        c = result['connectivity']
        n = c.n_stages
        print('pruned: {} of {} connections kept; architecture in {}'.format(
            c.n_connections, n * (n + 1), os.path.join(out, 'arch.yaml')))
    return result
