"""Helpers shared by the backbones."""

import os

import numpy

import chainer
from chainer import initializers
import chainer.functions as F


def check_pretrained_model(pretrained_model, names):
    """Checks the :obj:`pretrained_model` argument of a backbone.

    Args:
        pretrained_model (str or None): :obj:`None`, one of :obj:`names` or
            the path of an existing file.
        names (iterable of str): The names of the downloadable weights.

    Returns:
        str or None: :obj:`pretrained_model`.

    Raises:
        ValueError: If :obj:`pretrained_model` is neither :obj:`None`, a known
            name nor an existing file.

    """
    if pretrained_model is None:
        return None
    if not isinstance(pretrained_model, str):
        raise ValueError(
            'pretrained_model must be None, a name or a path; got {!r}'
            .format(pretrained_model))
    if pretrained_model in names or os.path.isfile(pretrained_model):
        return pretrained_model
    raise ValueError(
        'pretrained_model must be None, one of {} or the path of an '
        'existing .npz file; got {!r} (no such file)'.format(
            sorted(names), pretrained_model))


def global_average(h):
    """Spatial mean keeping the spatial axes.

    Args:
        h (~chainer.Variable): Feature of shape (N, C, H, W).

    Returns:
        ~chainer.Variable: Its mean over H and W, of shape (N, C, 1, 1).

    """
    return F.mean(h, axis=(2, 3), keepdims=True)


def materialize_params(link, in_size=32):
    """Initializes lazily created parameters with a tiny dummy forward.

    ChainerCV's ResNet and VGG16 create their first convolutions with
    ``in_channels=None``. Running one small forward pass (test mode,
    no backprop, so no batch statistics change) allocates them, so the
    parameters can be counted, copied and serialized right away.

    Args:
        link (chainer.Link): A backbone whose :meth:`forward` takes a
            (N, 3, H, W) array.
        in_size (int): Height and width of the dummy input.

    """
    if all(param.array is not None for param in link.params()):
        return
    x = link.xp.zeros((1, 3, in_size, in_size), dtype=chainer.get_dtype())
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        link.forward(x)


def chainercv_pretrained_args(pretrained_model):
    """Splits ``pretrained_model`` for a ChainerCV model and a later load.

    Args:
        pretrained_model (str): None, ``'imagenet'`` or an ``.npz`` path
            (checked with :func:`check_pretrained_model` first).

    Returns:
        tuple: ``(cv_pretrained_model, initialW, path)``: what to pass to
        ChainerCV's constructor, its weight initializer (zeros when a file
        overwrites the weights anyway) and the npz path to load afterwards
        (or None).

    """
    check_pretrained_model(pretrained_model, ('imagenet',))
    if pretrained_model == 'imagenet':
        return 'imagenet', None, None
    if pretrained_model:
        return None, initializers.Zero(), pretrained_model
    return None, None, None


class ChainerCVEncoderMixin(object):
    """What the ChainerCV-based encoders share: they become feature
    extractors of their :attr:`stage_names` and return ``(stages, g)``.

    The class using it defines ``stage_names`` and has a ChainerCV
    :class:`~chainercv.links.PickableSequentialChain` as its other base.
    """

    def _to_encoder(self, path):
        # activated features, ImageNet mean and unit std; fc layers removed
        self.std = numpy.ones((3, 1, 1), dtype=numpy.float32)
        self.feature_activation = None
        self.pick = self.stage_names
        self.remove_unused()
        if path:
            # files with or without the fc layers load (extra keys ignored)
            chainer.serializers.load_npz(path, self)
        materialize_params(self)

    def forward(self, x):
        """Computes the encoder stages and G.

        Args:
            x (~chainer.Variable or array): Normalized images
                ``(img - mean) / std`` of shape (N, 3, H, W).

        Returns:
            tuple: ``(stages, g)``: the stage features (finest first) and
            the spatial mean of the last one, ``(N, g_channels, 1, 1)``.

        """
        stages = super(ChainerCVEncoderMixin, self).forward(x)
        return stages, global_average(stages[-1])
