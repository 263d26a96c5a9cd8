"""Draws the figures of a search and of a retraining, as PNG.

``--search DIR`` (the ``--out`` directory of ``train/search.py``):

- ``connection_weights.png``: the searched connection weights as a
  heatmap, the pruned ones (``w < sigma``) crossed (paper Fig. 4);
- ``connection_weight_histogram.png``: their histogram on a log axis, with
  the pruning threshold ``sigma`` (the search's ``train.sigma``); the counts
  below ``sigma``, in ``[sigma, 0.5)`` and from 0.5 are printed too;
- ``architecture.png`` (and ``architecture.dot``): the architecture of its
  ``arch.yaml`` (paper Fig. 3); ``fdn.png`` (and ``fdn.dot``): the Fully
  Dense Network it was pruned from, for comparison.

``--run DIR`` (the ``--out`` directory of ``train/retrain.py``):

- ``predictions.png``: the first ``--n-images`` images of the validation
  split, each with its ground truth and the model's prediction (saliency:
  the saliency map; edges: the edge map before and after the non-maximum
  suppression); the saliency maps' MAE, per image and their mean, is that
  of pysodmetrics (:class:`~sparsemask.evaluations.SaliencyMetrics`), the
  number ``eval/evaluate.py --n-images N`` reports for the same images;
- ``architecture.png`` (``run_architecture.png`` if ``--search`` is given
  and has another architecture): the architecture of the model.

``--arch FILE``: the diagram of an ``arch.yaml`` alone, as ``NAME.png``
(``--name``; the file's name by default).

Each diagram is also written as Graphviz DOT source (``.dot``); when the
``dot`` program is on the PATH, it is rendered too (``<name>_dot.png``).
Every file is written atomically. The figures go to ``--out``: by default
``figures/`` in the ``--run`` directory, else in the ``--search`` one.

Examples::

    python eval/figures.py --search result/demo/search \\
        --run result/demo/retrain_searched --out eval/results/figures_demo
    python eval/figures.py \\
        --arch configs/arch/sparsemask_mobilenetv2_voc.yaml \\
        --name paper_architecture --out eval/results/figures_demo
"""

import argparse
import sys

from sparsemask.training import draw_figures
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure


def _n_images(text):
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(
            'expected a number of images >= 0, not {!r}'.format(text))
    return n


def make_parser():
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--search', default=None, metavar='DIR',
                        help='the --out directory of train/search.py')
    parser.add_argument('--run', default=None, metavar='DIR',
                        help='the --out directory of train/retrain.py')
    parser.add_argument('--arch', default=None, metavar='FILE',
                        help='an arch.yaml to draw')
    parser.add_argument('--name', default=None,
                        help="the file name of --arch's diagram, without "
                        "extension (default: the arch file's)")
    parser.add_argument('--n-images', type=_n_images, default=4,
                        metavar='N',
                        help='validation images to draw the predictions of '
                        '(default: 4; 0: none)')
    parser.add_argument('--out', default=None, metavar='DIR',
                        help='output directory (default: RUN/figures, else '
                        'SEARCH/figures)')
    parser.add_argument('--debug', action='store_true',
                        help='print the traceback of every error')
    parser.add_argument('overrides', nargs='*', metavar='section.key=value',
                        help="overrides of --run's config, e.g. "
                        'dataset.voc_dir=...')
    return parser


def main(argv=None):
    parser = make_parser()
    args = parser.parse_intermixed_args(argv)
    if args.search is None and args.run is None and args.arch is None:
        parser.error('give --search, --run or --arch')
    if args.out is None and args.search is None and args.run is None:
        parser.error('--arch alone needs --out')
    if args.overrides and args.run is None:
        parser.error('config overrides apply to --run only')
    import matplotlib
    matplotlib.use('Agg')
    try:
        figures(args)
    except Exception as e:
        sys.exit(report_failure(e, debug=debug_requested(args.debug)))


def figures(args, log=sys.stdout):
    """Draws the figures of parsed arguments (see :func:`make_parser` and
    :func:`~sparsemask.training.draw_figures`).

    Returns:
        list of str: the files written.

    """
    return draw_figures(search=args.search, run=args.run, arch=args.arch,
                        name=args.name, n_images=args.n_images, out=args.out,
                        overrides=args.overrides, log=log)


if __name__ == '__main__':
    main()
