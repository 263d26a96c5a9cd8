"""The figures of a search and of a retraining, as PNG."""

import os
import sys

import numpy

from sparsemask.connectivity import Connectivity
from sparsemask.training.build_dataset import build_dataset
from sparsemask.training.config import ConfigError
from sparsemask.training.config import load_config
from sparsemask.training.load_trained_model import load_trained_model
from sparsemask.training.read_connection_weights import \
    read_connection_weights
from sparsemask.visualizations import connection_weight_counts
from sparsemask.visualizations import vis_connection_weight_histogram
from sparsemask.visualizations import vis_connection_weights
from sparsemask.visualizations.figure_writer import FigureWriter
from sparsemask.visualizations.vis_map_predictions import \
    vis_map_predictions
from sparsemask.visualizations.vis_segmentation_predictions import \
    vis_segmentation_predictions


def draw_figures(search=None, run=None, arch=None, name=None, n_images=4,
                 out=None, overrides=(), log=None):
    """Draws the figures of a search, of a retraining or of an
    architecture.

    ``search`` (the ``--out`` directory of ``train/search.py``):
    ``connection_weights.png`` (paper Fig. 4),
    ``connection_weight_histogram.png`` (with the pruning threshold sigma;
    the counts below sigma, in ``[sigma, 0.5)`` and from 0.5 are printed),
    ``architecture`` (its ``arch.yaml``, paper Fig. 3) and ``fdn`` (the
    Fully Dense Network it was pruned from).

    ``run`` (the ``--out`` directory of ``train/retrain.py``):
    ``predictions.png`` (the first ``n_images`` images of the validation
    split with their ground truth and the model's prediction) and
    ``architecture`` (``run_architecture`` if the search has another).

    ``arch``: the diagram of an ``arch.yaml`` alone, as ``name``.

    Each diagram is written as ``.dot``, ``.png`` and, with Graphviz,
    ``_dot.png`` (see :class:`~sparsemask.visualizations.FigureWriter`).

    Args:
        search (str): a search's directory, or None.
        run (str): a retraining's directory, or None.
        arch (str): an ``arch.yaml``, or None.
        name (str): the file name of ``arch``'s diagram, without extension
            (default: the arch file's).
        n_images (int): validation images to draw the predictions of.
        out (str): the output directory (default: ``run/figures``, else
            ``search/figures``); created if needed.
        overrides (sequence of str): overrides of ``run``'s config.
        log (file): where to print what was written (default:
            ``sys.stdout``).

    Returns:
        list of str: the files written.

    Raises:
        ~sparsemask.training.ConfigError: a directory or file that is
            missing or not what it should be.

    """
    log = log or sys.stdout
    for option, path, script in (('--search', search, 'search'),
                                 ('--run', run, 'retrain')):
        if path is not None and not os.path.isdir(path):
            raise ConfigError('{} {} is not a directory (expected the --out '
                              'directory of train/{}.py)'.format(
                                  option, path, script))
    if arch is not None and not os.path.isfile(arch):
        raise ConfigError('--arch {} does not exist'.format(arch))
    out = out or os.path.join(run or search, 'figures')
    if not os.path.isdir(out):
        os.makedirs(out)
    writer = FigureWriter(out, log)
    search_arch = None
    if search is not None:
        search_arch = _search_figures(search, writer)
    if run is not None:
        _run_figures(run, n_images, overrides, search_arch, writer)
    if arch is not None:
        connectivity = Connectivity.from_yaml(arch)
        name = name or os.path.splitext(os.path.basename(arch))[0]
        print('{}: {}'.format(arch, _describe(connectivity)), file=log)
        writer.diagram(connectivity, name)
    return writer.written


def _describe(connectivity):
    L = connectivity.n_stages
    return '{} of {} connections, decoder stages {}'.format(
        connectivity.n_connections, L * (L + 1),
        ' '.join('D{}'.format(l) for l in connectivity.stages))


def _search_figures(search, writer):
    log = writer.log
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
    weights = read_connection_weights(npz)
    n_stages = max(weights)

    ax = vis_connection_weights(weights, n_stages, sigma=sigma)
    ax.set_title('searched connection weights (x: w < $\\sigma$ = {:g})'
                 .format(sigma))
    writer.save(ax.figure, 'connection_weights.png')

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
    writer.save(ax.figure, 'connection_weight_histogram.png')

    connectivity = Connectivity.from_yaml(arch)
    if connectivity.n_stages != n_stages:
        raise ConfigError('{} has {} stages but {} has {}'.format(
            arch, connectivity.n_stages, npz, n_stages))
    print('{}: {}'.format(arch, _describe(connectivity)), file=log)
    writer.diagram(connectivity, 'architecture')
    L = n_stages
    writer.diagram(Connectivity.full(L), 'fdn',
                   title='the search space: the Fully Dense Network, {} '
                   'connections'.format(L * (L + 1)))
    return connectivity


def _run_figures(run, n_images, overrides, search_arch, writer):
    log = writer.log
    model, config = load_trained_model(out=run, overrides=overrides)
    connectivity = model.connectivity
    if connectivity is None:
        # model.arch deeplabv3: an ASPP head, no decoder stages to draw
        print('{}: no FDN decoder ({}); no architecture diagram'.format(
            run, type(model.decoder).__name__), file=log)
    else:
        print('{}: {}'.format(run, _describe(connectivity)), file=log)
        if search_arch is None:
            writer.diagram(connectivity, 'architecture')
        elif connectivity != search_arch:
            writer.diagram(connectivity, 'run_architecture')
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
        fig, accuracies = vis_segmentation_predictions(
            model, dataset, indices, label_names)
        print('predictions of {} of the {} split: pixel accuracy {}'
              .format(images, split, ' '.join(
                  '-' if a is None else '{:.3f}'.format(a)
                  for a in accuracies)), file=log)
    else:
        fig, scores, mae = vis_map_predictions(model, dataset, indices,
                                              task)
        print('predictions of {} of the {} split: {} {}{}'.format(
            images, split, 'MAE (pysodmetrics, as eval/evaluate.py)'
            if task == 'saliency' else 'F at the best threshold (OIS)',
            ' '.join('{:.3f}'.format(e) for e in scores),
            '' if mae is None else ', mean {:.4f}'.format(mae)), file=log)
    fig.suptitle('{}: the first {} of the {} split'.format(run, images,
                                                           split))
    writer.save(fig, 'predictions.png')
