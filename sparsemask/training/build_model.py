import os

import chainer

from sparsemask.backbones import MobileNetV2
from sparsemask.backbones import ResNet101
from sparsemask.backbones import ResNet50
from sparsemask.backbones import VGG16
from sparsemask.connectivity import Connectivity
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

    Args:
        model_config (dict): the ``model`` section.
        mode (str): ``'search'`` or ``'retrain'``.
        backbone (~chainer.Chain): the encoder.

    Returns:
        Connectivity: the architecture.

    """
    n_stages = len(backbone.strides)
    if mode == 'search':
        return Connectivity.full(n_stages)
    arch = model_config['arch']
    if arch is None:
        raise ConfigError(
            'model.arch: retraining needs an architecture: the arch.yaml a '
            'search wrote, or full or unet')
    if arch == 'full':
        return Connectivity.full(n_stages)
    if arch == 'unet':
        return Connectivity.unet(n_stages)
    if not os.path.isfile(arch):
        raise ConfigError('model.arch: {} does not exist (expected an '
                          'arch.yaml, full or unet)'.format(arch))
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


def build_model(model_config, mode, n_class, comm=None):
    """Builds the SparseMask model of a search or a retraining.

    Args:
        model_config (dict): the ``model`` section of the config.
        mode (str): ``'search'`` (full FDN with connection weights) or
            ``'retrain'`` (``model.arch``, no weights).
        n_class (int): the number of classes.
        comm: a ChainerMN communicator; every batch normalisation then
            uses statistics across processes.

    Returns:
        ~sparsemask.links.SparseMask: the model.

    """
    if mode not in ('search', 'retrain'):
        raise ValueError("mode must be 'search' or 'retrain', not {!r}".format(
            mode))
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
    stage_kwargs = {'fused': model_config['fused']}
    if mode == 'search':
        stage_kwargs.update(initial_weight=model_config['initial_weight'],
                            weight_noise=model_config['weight_noise'],
                            bn_affine=model_config['bn_affine'])
    return SparseMask(backbone, n_class, connectivity=connectivity,
                      search=mode == 'search',
                      channels=model_config['channels'],
                      bn_kwargs=bn_kwargs, **stage_kwargs)
