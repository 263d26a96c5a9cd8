import os

import chainer

from sparsemask.backbones import MobileNetV2
from sparsemask.backbones import ResNet101
from sparsemask.backbones import ResNet50
from sparsemask.backbones import VGG16
from sparsemask.connectivity import Connectivity
from sparsemask.links import ASPPDecoder
from sparsemask.links import SparseMask
from sparsemask.training.config import ConfigError
from sparsemask.transfer import transfer
from sparsemask.utils.one_line import one_line


BACKBONES = {
    'mobilenetv2': MobileNetV2,
    'resnet50': ResNet50,
    'resnet101': ResNet101,
    'vgg16': VGG16,
}

#: the baselines ``model.arch`` names (paper Table 1): architectures of the
#: search space built for the backbone itself, and DeepLabV3 (no FDN)
BASELINES = ('full', 'unet', 'fcn', 'sparseacn', 'random', 'deeplabv3')


def build_backbone(model_config):
    """Builds the encoder named by ``model.backbone``.

    Args:
        model_config (dict): the ``model`` section.

    Returns:
        ~chainer.Chain: the backbone.

    """
    name = model_config['backbone']
    if name not in BACKBONES:
        raise ConfigError('model.backbone: unknown backbone {!r}; valid: '
                          '{}'.format(name, ', '.join(sorted(BACKBONES))))
    kwargs = {'pretrained_model': model_config['pretrained_model']}
    if name == 'mobilenetv2':
        kwargs['width_multiplier'] = model_config['width_multiplier']
    return BACKBONES[name](**kwargs)


def build_connectivity(model_config, mode, backbone):
    """The decoder architecture: the full FDN for a search, ``model.arch``
    for a retraining (transferred by stride when ``model.arch_backbone``
    names another backbone).

    ``model.arch`` is an ``arch.yaml`` or the name of a baseline of the
    paper's Table 1, built for ``backbone`` (``model.arch_backbone`` does
    not apply): ``full`` (:meth:`Connectivity.full`), ``unet``, ``fcn``,
    ``sparseacn``, ``random`` (:meth:`Connectivity.random` with
    ``model.random_connections`` connections and ``model.random_seed``)
    or ``deeplabv3`` (no FDN decoder: None).

    Args:
        model_config (dict): the ``model`` section.
        mode (str): ``'search'`` or ``'retrain'``.
        backbone (~chainer.Chain): the encoder.

    Returns:
        Connectivity: the architecture; None for ``deeplabv3``.

    """
    n_stages = len(backbone.strides)
    if mode == 'search':
        return Connectivity.full(n_stages)
    arch = model_config['arch']
    if arch is None:
        raise ConfigError(
            'model.arch: retraining needs an architecture: the arch.yaml a '
            'search wrote, or a baseline: {}'.format(', '.join(BASELINES)))
    if arch == 'deeplabv3':
        return None
    if arch == 'random':
        n = model_config['random_connections']
        most = n_stages * (n_stages + 1)
        if n is None:
            raise ConfigError(
                'model.random_connections: model.arch random needs the '
                'number of connections (1 to {} for {} stages)'.format(
                    most, n_stages))
        if n > most:
            raise ConfigError(
                'model.random_connections = {}: the Fully Dense Network of '
                '{} ({} stages) has {} connections'.format(
                    n, model_config['backbone'], n_stages, most))
        return Connectivity.random(n_stages, n, model_config['random_seed'])
    if arch in BASELINES:
        return getattr(Connectivity, arch)(n_stages)
    if not os.path.isfile(arch):
        raise ConfigError('model.arch: {} does not exist (expected an '
                          'arch.yaml or a baseline: {})'.format(
                              arch, ', '.join(BASELINES)))
    try:
        connectivity = Connectivity.from_yaml(arch)
    except ValueError as e:
        raise ConfigError('model.arch: {}'.format(one_line(e)))
    src = model_config['arch_backbone']
    if src is not None and src != model_config['backbone']:
        if src not in BACKBONES:
            raise ConfigError('model.arch_backbone: unknown backbone {!r}; '
                              'valid: {}'.format(
                                  src, ', '.join(sorted(BACKBONES))))
        connectivity = transfer(connectivity, BACKBONES[src].strides,
                                backbone.strides)
    if connectivity.n_stages != n_stages:
        raise ConfigError(
            'model.arch: {} has {} stages but {} has {}; set '
            'model.arch_backbone to the backbone it was searched on to '
            'transfer it'.format(arch, connectivity.n_stages,
                                 model_config['backbone'], n_stages))
    return connectivity


def search_topk(train_config):
    """The number of inputs each stage of a search uses.

    Args:
        train_config (dict): the ``train`` section, or None.

    Returns:
        int: ``train.topk`` when ``train.search_loss`` is ``topk``, else
        None (every input).

    """
    if train_config is not None and train_config['search_loss'] == 'topk':
        return train_config['topk']
    return None


def build_model(model_config, mode, n_class, comm=None, train_config=None):
    """Builds the SparseMask model of a search or a retraining.

    A search model is the full FDN with connection weights, configured by
    ``model.initial_weight``, ``weight_scale``, ``weight_noise``,
    ``bn_affine`` and ``connection_bn``, and, with ``train.search_loss:
    topk``, stages that use their ``train.topk`` largest weights. A
    retraining builds ``model.arch`` (see :func:`build_connectivity`;
    ``deeplabv3`` is the :class:`~sparsemask.links.ASPPDecoder` head of
    depth ``model.channels`` on the last encoder stage).

    Args:
        model_config (dict): the ``model`` section of the config.
        mode (str): ``'search'`` (full FDN with connection weights) or
            ``'retrain'`` (``model.arch``, no weights).
        n_class (int): the number of classes.
        comm: a ChainerMN communicator; every batch normalisation then
            uses statistics across processes.
        train_config (dict): the ``train`` section; it matters to a
            search with ``train.search_loss: topk`` only.

    Returns:
        ~sparsemask.links.SparseMask: the model.

    """
    if mode not in ('search', 'retrain'):
        raise ValueError("mode must be 'search' or 'retrain', not {!r}".format(
            mode))
    if mode == 'search' and model_config['bn_affine'] and \
            not model_config['connection_bn']:
        raise ConfigError(
            'model.bn_affine = true: there is no per-connection BN to give '
            'a scale and shift with model.connection_bn = false')
    backbone = build_backbone(model_config)
    if model_config['bn_decay'] is not None:
        for link in backbone.links():
            if isinstance(link, chainer.links.BatchNormalization):
                link.decay = model_config['bn_decay']
    connectivity = build_connectivity(model_config, mode, backbone)
    bn_kwargs = None
    if comm is not None:
        import chainermn.links
        backbone = chainermn.links.create_mnbn_model(backbone, comm)
        bn_kwargs = {'comm': comm}
    if connectivity is None:  # deeplabv3
        decoder = ASPPDecoder(
            backbone.channels[-1], channels=model_config['channels'],
            output_stride=backbone.strides[-1],
            feature_activation=backbone.feature_activation,
            bn_kwargs=bn_kwargs)
        return SparseMask(backbone, n_class, decoder=decoder)
    stage_kwargs = {'fused': model_config['fused']}
    if mode == 'search':
        stage_kwargs.update(initial_weight=model_config['initial_weight'],
                            weight_scale=model_config['weight_scale'],
                            weight_noise=model_config['weight_noise'],
                            bn_affine=model_config['bn_affine'],
                            connection_bn=model_config['connection_bn'],
                            topk=search_topk(train_config))
    return SparseMask(backbone, n_class, connectivity=connectivity,
                      search=mode == 'search',
                      channels=model_config['channels'],
                      bn_kwargs=bn_kwargs, **stage_kwargs)
