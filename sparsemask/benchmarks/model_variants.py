"""The Chainer variants of a model benchmark with the same weights."""

import os

from sparsemask.benchmarks.variant_config import VARIANTS
from sparsemask.training import build_model
from sparsemask.training import ConfigError
from sparsemask.training import load_config
from sparsemask.training import load_trained_model


def model_variants(config=None, overrides=(), run=None, arch=None,
                   search=False, n_class=None, default_arch=None):
    """Builds our model (fused stages) and the stock one (unfused) with
    the same weights.

    Without ``run`` the weights are random (``model.pretrained_model`` is
    forced to null; nothing is downloaded); the stock model gets ours'
    weights and batch normalisation statistics. With ``run``, the trained
    model is one of the two and the other gets its weights.

    Args:
        config (str): the YAML config (without ``run``).
        overrides (sequence of str): ``section.key=value`` overrides.
        run (str): a training run's ``--out`` directory: its config and
            trained weights (replaces ``config``).
        arch (str): an arch.yaml, ``'full'`` or ``'unet'`` (default:
            ``default_arch``; with ``run``, the run's).
        search (bool): the search model (full FDN with connection
            weights) instead of the retraining one.
        n_class (int): classes (default: 21; with ``run``, the run's).
        default_arch (str): the architecture when ``arch`` is not given
            (found for MobileNetV2: ``model.arch_backbone`` is set to
            ``mobilenetv2``); None: the config's.

    Returns:
        tuple: ``(models, config, mode, n_class)``: ``'ours'`` and
        ``'stock'`` -> model, the loaded config (dict), ``'search'`` or
        ``'retrain'`` and the number of classes.

    Raises:
        ~sparsemask.training.ConfigError: a bad option, config or run.

    """
    if run is not None:
        if search:
            raise ConfigError('--search: the model of --run is a search '
                              'model or not according to its weights; drop '
                              '--search')
        model, config = load_trained_model(out=run, arch=arch,
                                           overrides=overrides)
        mode = 'search' if model.search else 'retrain'
        if n_class is not None and n_class != model.n_class:
            raise ConfigError('--n-class {}: the model of {} has {} '
                              'classes'.format(n_class, run, model.n_class))
        n_class = model.n_class
        fused_value = config['model']['fused']
        models = {'ours' if fused_value else 'stock': model}
    else:
        if config is not None and not os.path.isfile(config):
            raise ConfigError('--config {} does not exist'.format(config))
        mode = 'search' if search else 'retrain'
        pre = ['model.pretrained_model=null']
        if mode == 'search':
            if arch is not None:
                raise ConfigError('--arch: the search model is the full FDN '
                                  'with connection weights; drop --arch')
        elif arch is not None or default_arch is not None:
            pre.append('model.arch={}'.format(arch or default_arch))
            if arch is None:
                pre.append('model.arch_backbone=mobilenetv2')
        config = load_config(config, pre + list(overrides))
        n_class = 21 if n_class is None else n_class
        if n_class < 1:
            raise ConfigError('--n-class {}: expected a positive '
                              'integer'.format(n_class))
        models = {}
    for name in VARIANTS:
        if name not in models:
            model_config = dict(config['model'], fused=name == 'ours')
            models[name] = build_model(model_config, mode, n_class)
    # the stock model gets ours' weights (and BN statistics), or, from
    # run, the trained model's
    source = models['ours'] if run is None else models[
        'ours' if config['model']['fused'] else 'stock']
    for name in VARIANTS:
        if models[name] is not source:
            models[name].copyparams(source)
    return models, config, mode, n_class
