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
import os
import shutil
import subprocess
import sys

import numpy

from sparsemask.connectivity import Connectivity
from sparsemask.extensions import load_connection_weights
from sparsemask.training import ConfigError
from sparsemask.training import load_config
from sparsemask.training import load_trained_model
from sparsemask.training.build_dataset import build_dataset
from sparsemask.training.report_failure import debug_requested
from sparsemask.training.report_failure import report_failure
from sparsemask.training.snapshots import check_snapshot
from sparsemask.utils.atomic_write import atomic_open
from sparsemask.utils.atomic_write import atomic_write_text
from sparsemask.utils.one_line import one_line
from sparsemask.visualizations import connection_weight_counts
from sparsemask.visualizations import connectivity_dot
from sparsemask.visualizations import vis_connection_weight_histogram
from sparsemask.visualizations import vis_connection_weights
from sparsemask.visualizations import vis_connectivity


DPI = 120


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
    """Draws the figures of parsed arguments (see :func:`make_parser`).

    Args:
        args (argparse.Namespace): the arguments.
        log (file): where to print what was written.

    Returns:
        list of str: the files written.

    """
    for option, path, script in (('--search', args.search, 'search'),
                                 ('--run', args.run, 'retrain')):
        if path is not None and not os.path.isdir(path):
            raise ConfigError('{} {} is not a directory (expected the --out '
                              'directory of train/{}.py)'.format(
                                  option, path, script))
    if args.arch is not None and not os.path.isfile(args.arch):
        raise ConfigError('--arch {} does not exist'.format(args.arch))
    out = args.out or os.path.join(args.run or args.search, 'figures')
    if not os.path.isdir(out):
        os.makedirs(out)
    written = []
    search_arch = None
    if args.search is not None:
        search_arch = _search_figures(args.search, out, written, log)
    if args.run is not None:
        _run_figures(args.run, out, args.n_images, args.overrides,
                     search_arch, written, log)
    if args.arch is not None:
        connectivity = Connectivity.from_yaml(args.arch)
        name = args.name or os.path.splitext(os.path.basename(args.arch))[0]
        print('{}: {}'.format(args.arch, _describe(connectivity)), file=log)
        _write_diagram(connectivity, out, name, written, log)
    return written


def _describe(connectivity):
    L = connectivity.n_stages
    return '{} of {} connections, decoder stages {}'.format(
        connectivity.n_connections, L * (L + 1),
        ' '.join('D{}'.format(l) for l in connectivity.stages))


def _save(fig, path, written, log):
    from matplotlib import pyplot as plt

    with atomic_open(path, 'wb') as f:
        fig.savefig(f, format='png', bbox_inches='tight', dpi=DPI)
    plt.close(fig)
    _wrote(path, written, log)


def _wrote(path, written, log):
    written.append(path)
    print('wrote {}'.format(path), file=log)


def _write_diagram(connectivity, out, name, written, log, title=None):
    # name.dot, name.png and, where Graphviz is installed, name_dot.png
    source = connectivity_dot(connectivity, title=title)
    path = os.path.join(out, name + '.dot')
    atomic_write_text(path, source)
    _wrote(path, written, log)
    ax = vis_connectivity(connectivity, title=title)
    _save(ax.figure, os.path.join(out, name + '.png'), written, log)
    dot = shutil.which('dot')
    if dot is None:
        return
    result = subprocess.run([dot, '-Tpng'], input=source.encode(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0 or not result.stdout:
        sys.stderr.write('warning: {} -Tpng failed on {} (exit status {}): '
                         '{}\n'.format(dot, path, result.returncode,
                                       one_line(result.stderr.decode(
                                           errors='replace'))))
        return
    path = os.path.join(out, name + '_dot.png')
    with atomic_open(path, 'wb') as f:
        f.write(result.stdout)
    _wrote(path, written, log)


def _read_connection_weights(path):
    check_snapshot(path)
    try:
        weights = load_connection_weights(path)
    except (KeyError, ValueError, IndexError) as e:
        raise ConfigError(
            '{}: not a connection_weights.npz written by train/search.py '
            '({}: {})'.format(path, type(e).__name__, one_line(e)))
    if not weights:
        raise ConfigError('{}: holds no connection weights'.format(path))
    return weights


def _search_figures(search, out, written, log):
    npz = os.path.join(search, 'connection_weights.npz')
    arch = os.path.join(search, 'arch.yaml')
    for path in (npz, arch):
        if not os.path.isfile(path):
            raise ConfigError(
                '{} holds no {} (expected the --out directory of '
                'train/search.py, which writes it when it prunes)'.format(
                    search, os.path.basename(path)))
    config = os.path.join(search, 'config.yaml')
    if os.path.isfile(config):
        sigma = load_config(config)['train']['sigma']
        source = config
    else:
        sigma = load_config()['train']['sigma']
        source = 'the default, {} has no config.yaml'.format(search)
    weights = _read_connection_weights(npz)
    n_stages = max(weights)

    ax = vis_connection_weights(weights, n_stages, sigma=sigma)
    ax.set_title('searched connection weights (x: w < $\\sigma$ = {:g})'
                 .format(sigma))
    _save(ax.figure, os.path.join(out, 'connection_weights.png'), written,
          log)

    values = numpy.array([w for conns in weights.values()
                          for w in conns.values()])
    below, middle, high = connection_weight_counts(weights, sigma)
    print('{}: {} connection weights: {} < sigma, {} in [sigma, 0.5), {} '
          '>= 0.5 (sigma = {:g}, from {}; {} exactly 0, min {:.3g}, max '
          '{:.3g})'.format(npz, len(values), below, middle, high, sigma,
                           source, int(numpy.count_nonzero(values == 0)),
                           values.min(), values.max()), file=log)
    ax = vis_connection_weight_histogram(weights, sigma=sigma)
    ax.set_title('searched connection weights: {} in all'.format(
        len(values)))
    _save(ax.figure, os.path.join(out, 'connection_weight_histogram.png'),
          written, log)

    connectivity = Connectivity.from_yaml(arch)
    if connectivity.n_stages != n_stages:
        raise ConfigError('{} has {} stages but {} has {}'.format(
            arch, connectivity.n_stages, npz, n_stages))
    print('{}: {}'.format(arch, _describe(connectivity)), file=log)
    _write_diagram(connectivity, out, 'architecture', written, log)
    L = n_stages
    _write_diagram(Connectivity.full(L), out, 'fdn', written, log,
                   title='the search space: the Fully Dense Network, {} '
                   'connections'.format(L * (L + 1)))
    return connectivity


def _run_figures(run, out, n_images, overrides, search_arch, written, log):
    model, config = load_trained_model(out=run, overrides=overrides)
    connectivity = model.connectivity
    if connectivity is None:
        # model.arch deeplabv3: an ASPP head, no decoder stages to draw
        print('{}: no FDN decoder ({}); no architecture diagram'.format(
            run, type(model.decoder).__name__), file=log)
    else:
        print('{}: {}'.format(run, _describe(connectivity)), file=log)
        if search_arch is None:
            _write_diagram(connectivity, out, 'architecture', written, log)
        elif connectivity != search_arch:
            _write_diagram(connectivity, out, 'run_architecture', written,
                           log)
        else:
            print('(the same architecture as the search: architecture.png)',
                  file=log)
    if n_images == 0:
        return
    split = config['dataset']['val_split']
    task = config['task']
    dataset, label_names = build_dataset(config['dataset'], split,
                                         key='dataset.val_split', task=task)
    if len(dataset) == 0:
        raise ConfigError('the {} split of the {} data set is empty'.format(
            split, config['dataset']['name']))
    indices = list(range(min(n_images, len(dataset))))
    images = '{} image{}'.format(len(indices), 's' if len(indices) > 1
                                 else '')
    if task == 'segmentation':
        fig, accuracies = _prediction_figure(model, dataset, indices,
                                             label_names)
        print('predictions of {} of the {} split: pixel accuracy {}'
              .format(images, split, ' '.join(
                  '-' if a is None else '{:.3f}'.format(a)
                  for a in accuracies)), file=log)
    else:
        fig, scores, mae = _map_figure(model, dataset, indices, task)
        print('predictions of {} of the {} split: {} {}{}'.format(
            images, split, 'MAE (pysodmetrics, as eval/evaluate.py)'
            if task == 'saliency' else 'F at the best threshold (OIS)',
            ' '.join('{:.3f}'.format(e) for e in scores),
            '' if mae is None else ', mean {:.4f}'.format(mae)), file=log)
    fig.suptitle('{}: the first {} of the {} split'.format(run, images,
                                                           split))
    _save(fig, os.path.join(out, 'predictions.png'), written, log)


def _prediction_figure(model, dataset, indices, label_names):
    from chainercv.visualizations import vis_image
    from chainercv.visualizations import vis_semantic_segmentation
    from chainercv.visualizations.colormap import voc_colormap
    from matplotlib import patches
    from matplotlib import pyplot as plt

    n_class = len(label_names)
    colors = voc_colormap(list(range(n_class))) / 255.0
    fig, axes = plt.subplots(len(indices), 3, squeeze=False,
                             figsize=(9.0, 3.0 * len(indices) + 0.6))
    seen = set()
    accuracies = []
    ignored = False
    for row, i in enumerate(indices):
        img, gt = dataset[i]
        pred = model.predict([img])[0]
        valid = gt >= 0
        accuracy = float((pred == gt)[valid].mean()) if valid.any() \
            else None
        accuracies.append(accuracy)
        seen.update(numpy.unique(gt[valid]).tolist())
        seen.update(numpy.unique(pred).tolist())
        ignored = ignored or not valid.all()
        vis_image(img, ax=axes[row, 0])
        vis_semantic_segmentation(img, gt, label_names, alpha=0.6,
                                  ax=axes[row, 1])
        vis_semantic_segmentation(img, pred, label_names, alpha=0.6,
                                  ax=axes[row, 2])
        axes[row, 0].set_title('image {} ({}x{})'.format(
            i, img.shape[2], img.shape[1]), fontsize='medium')
        axes[row, 1].set_title('ground truth', fontsize='medium')
        axes[row, 2].set_title('prediction' + (
            '' if accuracy is None else
            ' (pixel acc. {:.1f}%)'.format(100 * accuracy)),
            fontsize='medium')
        for ax in axes[row]:
            ax.set_axis_off()
    handles = [patches.Patch(color=colors[l], label=label_names[l])
               for l in sorted(seen)]
    if ignored:
        handles.append(patches.Patch(color='black', label='ignored (-1)'))
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    fig.legend(handles=handles, loc='upper center',
               bbox_to_anchor=(0.5, 0.0), ncol=min(len(handles), 4),
               frameon=False, fontsize='small')
    return fig, accuracies


def _map_figure(model, dataset, indices, task):
    # saliency: image, mask, saliency map (and its MAE); edges: image, the
    # annotators' consensus (grey: ignored), edge map, edge map after NMS
    # (and the image's F at its best threshold against every annotator).
    # Returns the figure, the per-image scores and (saliency) the MAE over
    # the images: pysodmetrics' MAE of the min-max normalised uint8 map,
    # as eval/evaluate.py computes it (SaliencyMetrics), not the raw
    # mean of |prob - mask|
    from chainercv.visualizations import vis_image
    from matplotlib import pyplot as plt

    from sparsemask.evaluations import dataset_boundaries
    from sparsemask.evaluations import edge_nms
    from sparsemask.evaluations import EdgeMetrics
    from sparsemask.evaluations import predict_probabilities
    from sparsemask.evaluations import SaliencyMetrics

    columns = 3 if task == 'saliency' else 4
    # (edges drawn black on white, as in the BSDS figures)
    cmap = 'gray' if task == 'saliency' else 'gray_r'
    fig, axes = plt.subplots(len(indices), columns, squeeze=False,
                             figsize=(3.0 * columns, 3.0 * len(indices) + 0.4))
    scores = []
    saliency = SaliencyMetrics() if task == 'saliency' else None
    for row, i in enumerate(indices):
        img, gt = dataset[i]
        prob = predict_probabilities(model, img)[0]
        valid = gt >= 0
        if task == 'saliency':
            saliency.add(prob, gt)
            score = saliency.maes[-1]
            caption = 'saliency map (MAE {:.3f})'.format(score)
        else:
            metrics = EdgeMetrics(thresholds=19)
            metrics.add(prob, dataset_boundaries(dataset, i))
            score = metrics.result()['ois']
            caption = 'edge map (F {:.3f})'.format(score)
        scores.append(score)
        vis_image(img, ax=axes[row, 0])
        axes[row, 0].set_title('image {} ({}x{})'.format(
            i, img.shape[2], img.shape[1]), fontsize='medium')
        shown = numpy.where(valid, gt, 0.5).astype(numpy.float32)
        axes[row, 1].imshow(shown, cmap=cmap, vmin=0, vmax=1)
        axes[row, 1].set_title(
            'ground truth' if task == 'saliency' else
            'edges (grey: ignored)', fontsize='medium')
        axes[row, 2].imshow(prob, cmap=cmap, vmin=0, vmax=1)
        axes[row, 2].set_title(caption, fontsize='medium')
        if task == 'edge':
            axes[row, 3].imshow(edge_nms(prob), cmap=cmap, vmin=0, vmax=1)
            axes[row, 3].set_title('after NMS', fontsize='medium')
        for ax in axes[row]:
            ax.set_axis_off()
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))
    mae = None if saliency is None else saliency.result()['mae']
    return fig, scores, mae


if __name__ == '__main__':
    main()
