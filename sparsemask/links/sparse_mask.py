import numpy

import chainer
import chainer.links as L

from sparsemask.connectivity import Connectivity
from sparsemask.functions.l1_loss import l1_loss
from sparsemask.functions.pointwise_convolution_2d import \
    pointwise_convolution_2d
from sparsemask.functions.resize_bilinear import resize_bilinear
from sparsemask.functions.sparse_loss import default_alpha
from sparsemask.functions.sparse_loss import sparse_loss
from sparsemask.links._inference import is_relu6
from sparsemask.links.fdn_decoder import FDNDecoder
from sparsemask.utils.inference import cpu_inference
from sparsemask.utils.inference import relu6_array


#: the penalties :meth:`SparseMask.sparse_loss` computes
SEARCH_LOSSES = ('sparse', 'l1')


class SparseMask(chainer.Chain):
    """A dense-prediction network: an encoder and a Fully Dense Network
    decoder with learnable (search) or fixed (retrain) connectivity.

    With ``search=True`` every connection of the search space (the full FDN
    unless ``connectivity`` is given) carries a 1x1 convolution, a batch
    normalization and a weight ``w`` in [0, 1] (paper Eq. 4); see
    :meth:`sparse_loss` and :meth:`connection_weights`. Otherwise the given
    connectivity is built without the per-connection BN and weights (paper
    Sec. 3.3); ``connectivity=None`` then builds the full FDN.

    The head reads D_1: activation, then a 1x1 convolution to ``n_class``
    channels; the logits are upsampled bilinearly to the input size
    (:func:`~sparsemask.functions.resize_bilinear`, as
    :func:`chainer.functions.resize_images` computes it).

    Another decoder can replace the FDN (``decoder``, e.g. the DeepLabV3
    baseline :class:`~sparsemask.links.ASPPDecoder`): a link called as
    ``decoder(stages, g)`` with the attributes ``out_channels`` and
    ``activation`` (applied before the head). The model then has no
    connectivity (:attr:`connectivity` is None), no decoder stages
    (:meth:`stages` yields nothing) and no search.

    Args:
        backbone (~chainer.Link): an encoder from
            :mod:`sparsemask.backbones`: it has ``channels``, ``strides``,
            ``g_channels``, ``mean``, ``std``, ``feature_activation`` and
            returns ``(stages, g)``.
        n_class (int): the number of classes.
        connectivity (~sparsemask.Connectivity): the architecture (retrain)
            or the search space (search). Defaults to the full FDN.
        search (bool): build the search model.
        channels (int): channels of every decoder stage (64 in the paper).
        bn_kwargs (dict): keyword arguments of the decoder's batch
            normalizations (``{'comm': comm}`` under ChainerMN).
        decoder (~chainer.Link): a decoder replacing the FDN; then
            ``connectivity``, ``search``, ``bn_kwargs`` and
            ``stage_kwargs`` must be left out, and ``channels`` and
            ``fused`` are ignored (the head reads the decoder's
            ``out_channels``).
        **stage_kwargs: passed to every :class:`~sparsemask.links.FDNStage`
            (``initial_weight``, ``weight_scale``, ``weight_noise``,
            ``bn_affine``, ``connection_bn``, ``topk``, ``fused``).

    """

    def __init__(self, backbone, n_class, connectivity=None, search=False,
                 channels=64, bn_kwargs=None, decoder=None, **stage_kwargs):
        super(SparseMask, self).__init__()
        n_stages = len(backbone.channels)
        if decoder is not None:
            stage_kwargs.pop('fused', None)
            given = [name for name, value in (
                ('connectivity', connectivity), ('search', search),
                ('bn_kwargs', bn_kwargs)) if value] + sorted(stage_kwargs)
            if given:
                raise ValueError(
                    'SparseMask with a decoder link ({}) takes no {}: they '
                    'configure the FDN decoder'.format(
                        type(decoder).__name__, ', '.join(given)))
            self.n_class = n_class
            self.search = False
            self.connectivity = None
            with self.init_scope():
                self.backbone = backbone
                self.decoder = decoder
                self.head = L.Convolution2D(decoder.out_channels, n_class, 1)
            return
        if connectivity is None:
            connectivity = Connectivity.full(n_stages)
        if connectivity.n_stages != n_stages:
            raise ValueError(
                'the connectivity has {} stages but the backbone {} has {}; '
                'use sparsemask.transfer to move an architecture between '
                'backbones'.format(connectivity.n_stages,
                                   type(backbone).__name__, n_stages))
        self.n_class = n_class
        self.search = search
        self.connectivity = connectivity
        with self.init_scope():
            self.backbone = backbone
            self.decoder = FDNDecoder(
                connectivity, backbone.channels, backbone.g_channels,
                channels=channels, search=search,
                feature_activation=backbone.feature_activation,
                bn_kwargs=bn_kwargs, **stage_kwargs)
            self.head = L.Convolution2D(channels, n_class, 1)

    @property
    def mean(self):
        """numpy.ndarray: the backbone's input mean, ``(3, 1, 1)``."""
        return self.backbone.mean

    @property
    def std(self):
        """numpy.ndarray: the backbone's input std, ``(3, 1, 1)``."""
        return self.backbone.std

    def forward(self, x):
        """Computes the logits.

        Args:
            x (~chainer.Variable or array): normalised images ``(N, 3, H,
                W)`` (see :attr:`mean` and :attr:`std`).

        Returns:
            ~chainer.Variable: logits ``(N, n_class, H, W)``.

        """
        x_array = chainer.as_array(x)
        if x_array.shape[0] > 1 and cpu_inference(x_array):
            # inference on the CPU an image at a time, so that every array
            # keeps the size of one image's (at 512x512 a batch of 8 made
            # arrays of 200 MB and took twice as long per image); the
            # batch normalizations use their running statistics, so the
            # images do not depend on each other
            ys = [self.forward(x_array[i:i + 1]).array
                  for i in range(x_array.shape[0])]
            return chainer.Variable(numpy.concatenate(ys),
                                    requires_grad=False)
        stages, g = self.backbone(x)
        d1 = self.decoder(stages, g)
        if cpu_inference(d1) and is_relu6(self.decoder.activation) and \
                self.head.W.array is not None:
            # inference on the CPU: the activation in place on D_1 (no
            # one else reads it), the head as one matmul
            h = relu6_array(d1.array, out=d1.array)
            h = pointwise_convolution_2d(h, self.head.W, self.head.b)
        else:
            h = self.head(self.decoder.activation(d1))
        return resize_bilinear(h, x.shape[2:])

    def stages(self):
        """Yields ``(l, stage)`` for each decoder stage, coarsest first
        (nothing for a decoder without connectivity)."""
        if self.connectivity is None:
            return
        for l in self.connectivity.stages:
            yield l, self.decoder['stage{}'.format(l)]

    def connection_weights(self):
        """Returns the searched weights, in the form :func:`sparsemask.prune`
        takes.

        Returns:
            dict: stage index -> ``{input name: float}``.

        """
        if not self.search:
            raise ValueError('connection weights exist in search mode only')
        weights = {}
        for l, stage in self.stages():
            w = chainer.backends.cuda.to_cpu(stage.w.array)
            weights[l] = {name: float(v) for name, v in
                          zip(self.connectivity.inputs(l), w)}
        return weights

    def clip_connection_weights(self):
        """Clips every connection weight into [0, 1] in place."""
        for _, stage in self.stages():
            if stage.weighted:
                stage.xp.clip(stage.w.array, 0.0, 1.0, out=stage.w.array)

    def sparse_loss(self, lam=0.01, loss='sparse'):
        """The sparse term of the search objective (paper Eq. 3).

        Args:
            lam (float): lambda.
            loss (str): ``'sparse'``, the paper's sparse loss, or ``'l1'``,
                the L1 penalty it is compared with (Sec. 4.2).

        Returns:
            ~chainer.Variable: ``lam * sum_l L_s(w_l, alpha_l)`` with
            ``alpha_l = min(2 / |w_l|, 0.5)`` (Eq. 5), or with ``'l1'``
            ``lam * sum_l sum_t |w_l^t|``.

        """
        if not self.search:
            raise ValueError('the sparse loss exists in search mode only')
        if loss not in SEARCH_LOSSES:
            raise ValueError('unknown search loss {!r}; valid: {}'.format(
                loss, ', '.join(SEARCH_LOSSES)))
        total = 0
        for _, stage in self.stages():
            if loss == 'l1':
                total += l1_loss(stage.w)
            else:
                total += sparse_loss(stage.w, default_alpha(stage.n_inputs))
        return lam * total

    def predict(self, imgs):
        """Predicts label maps, as ChainerCV's segmentation models do.

        Args:
            imgs (iterable of numpy.ndarray): CHW RGB images with values in
                [0, 255].

        Returns:
            list of numpy.ndarray: int32 label maps ``(H, W)``; with
            ``n_class == 1`` (a saliency or edge map) 1 where the sigmoid
            of the logit is at least 0.5, else 0.

        """
        labels = []
        for img in imgs:
            x = (numpy.asarray(img, dtype=numpy.float32) - self.mean) \
                / self.std
            x = self.xp.asarray(x[None])
            with chainer.using_config('train', False), \
                    chainer.no_backprop_mode():
                score = self.forward(x).array[0]
            if self.n_class == 1:
                label = (score[0] >= 0).astype(numpy.int32)
            else:
                label = self.xp.argmax(score, axis=0).astype(numpy.int32)
            labels.append(chainer.backends.cuda.to_cpu(label))
        return labels
