import chainer
import chainer.functions as F
import chainer.links as L

from sparsemask.links._bn import batch_normalization
from sparsemask.links.fdn_decoder import relu6


class _ConvBNReLU(chainer.Chain):
    """Convolution (no bias, "same" padding), batch normalization, ReLU."""

    def __init__(self, in_channels, out_channels, ksize, dilate, bn_kwargs):
        super(_ConvBNReLU, self).__init__()
        pad = dilate * (ksize - 1) // 2
        with self.init_scope():
            self.conv = L.Convolution2D(
                in_channels, out_channels, ksize, pad=pad, dilate=dilate,
                nobias=True)
            self.bn = batch_normalization(out_channels, bn_kwargs)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class ASPPDecoder(chainer.Chain):
    """The DeepLabV3 head: Atrous Spatial Pyramid Pooling on the last
    encoder stage (Chen et al., "Rethinking Atrous Convolution for Semantic
    Image Segmentation", 2017, Sec. 3.3; the paper's Table 1 baseline).

    It reads only ``E_L`` (after the backbone's ``feature_activation``)
    and computes, each branch a convolution without bias, a batch
    normalization and ReLU, at ``E_L``'s resolution:

    * ``aspp0``: a 1x1 convolution;
    * ``aspp1`` .. ``aspp<n>``: a 3x3 convolution of dilation ``rate`` for
      each of ``rates``;
    * ``image_pool``: the global average of ``E_L``, a 1x1 convolution,
      broadcast back to ``E_L``'s size (image-level features);

    then concatenates the branches and projects them by a 1x1 convolution
    (``projection``) and a batch normalization (``bn``) to ``channels``.
    The output is that of ``bn``; :attr:`activation` (ReLU) follows it in
    :class:`~sparsemask.links.SparseMask`, then the classifier. With
    ``projection=False`` the output is the concatenation itself
    (:attr:`out_channels` = ``channels`` times the number of branches).
    There is no
    dropout (as in the FDN decoders, so that the baselines differ by their
    decoder only), and no decoder stage: the logits are upsampled from
    ``E_L``'s resolution (output stride 32 for MobileNetV2, whose encoder
    this project does not dilate).

    The dilation rates of DeepLabV3 are (6, 12, 18) at output stride 16
    and twice those at 8; :meth:`default_rates` scales them to the
    backbone's output stride (``(3, 6, 9)`` at 32).

    The decoder has no connectivity and no connection weights: it exists
    for retraining only (``model.arch: deeplabv3``), not for a search.

    Parameters (no biases; each batch normalization has a scale and a
    shift), for ``C`` channels of ``E_L``, ``d = channels`` and ``r``
    rates: ``C d (2 + 9 r) + (r + 2) d d + 2 d (r + 3)``. MobileNetV2
    (``C = 1280``) with ``d = 256``, ``r = 3``: 9,833,472; with the
    classifier on 21 classes (``21 d + 21``), 9,838,869, i.e. +9.84M
    (+2.40M with ``d = 64``). The paper's +0.67M for DeepLabV3 on
    MobileNetV2 (Table 1) is what the light head of the MobileNetV2 paper
    (Sandler et al. 2018, Sec. 6.3: DeepLabV3 without the atrous
    branches) gives on ``E_L`` with ``d = 256`` and no projection:
    ``rates=(), projection=False``, ``2 C d + 4 d`` = 656,384, plus the
    classifier on ``2 d`` channels (10,773): 667,157.

    Args:
        in_channels (int): channels of ``E_L``.
        channels (int): the depth of every branch and of the output (256
            in DeepLabV3).
        rates (sequence of int): the dilation rates of the 3x3 branches;
            empty for none. By default :meth:`default_rates` of
            ``output_stride``.
        output_stride (int): the stride of ``E_L``, for the default rates.
        image_pooling (bool): add the image-level branch.
        projection (bool): project the concatenated branches to
            ``channels`` (1x1 convolution and batch normalization).
        feature_activation (callable): applied to ``E_L`` first (the
            backbone's, ReLU6 for MobileNetV2), or None.
        bn_kwargs (dict): keyword arguments of every batch normalization
            (``{'comm': comm}`` under ChainerMN).

    """

    def __init__(self, in_channels, channels=256, rates=None,
                 output_stride=16, image_pooling=True, projection=True,
                 feature_activation=relu6, bn_kwargs=None):
        super(ASPPDecoder, self).__init__()
        if rates is None:
            rates = self.default_rates(output_stride)
        self.rates = tuple(int(r) for r in rates)
        if any(r < 1 for r in self.rates):
            raise ValueError('dilation rates must be positive, not {}'
                             .format(self.rates))
        self.in_channels = in_channels
        self.channels = channels
        self.image_pooling = image_pooling
        self.use_projection = projection
        self.feature_activation = feature_activation
        self.activation = F.relu
        #: no FDN connectivity (see :class:`~sparsemask.links.SparseMask`)
        self.connectivity = None
        bn_kwargs = dict(bn_kwargs or {})
        n_branches = 1 + len(self.rates) + int(image_pooling)
        #: int: channels of the output
        self.out_channels = channels if projection else \
            n_branches * channels
        with self.init_scope():
            self.aspp0 = _ConvBNReLU(in_channels, channels, 1, 1, bn_kwargs)
            for i, rate in enumerate(self.rates):
                setattr(self, 'aspp{}'.format(i + 1), _ConvBNReLU(
                    in_channels, channels, 3, rate, bn_kwargs))
            if image_pooling:
                self.image_pool = _ConvBNReLU(
                    in_channels, channels, 1, 1, bn_kwargs)
            if projection:
                self.projection = L.Convolution2D(
                    n_branches * channels, channels, 1, nobias=True)
                self.bn = batch_normalization(channels, bn_kwargs)

    @staticmethod
    def default_rates(output_stride):
        """DeepLabV3's dilation rates for an output stride.

        Args:
            output_stride (int): the stride of the feature the head reads.

        Returns:
            tuple of int: ``(6, 12, 18) * 16 / output_stride``, rounded
            down, at least 1: ``(6, 12, 18)`` at 16, ``(12, 24, 36)`` at 8,
            ``(3, 6, 9)`` at 32.

        """
        return tuple(max(1, r * 16 // int(output_stride))
                     for r in (6, 12, 18))

    def forward(self, stages, g):
        """Computes the head.

        Args:
            stages (sequence of ~chainer.Variable): ``E_1 .. E_L``; only
                ``E_L`` is read.
            g (~chainer.Variable): ``G``, unused (the image-level branch
                pools the activated ``E_L`` itself, as DeepLabV3 does).

        Returns:
            ~chainer.Variable: ``(N, out_channels, h_L, w_L)``, after the
            last batch normalization, before the activation.

        """
        x = stages[-1]
        if self.feature_activation is not None:
            x = self.feature_activation(x)
        hs = [self.aspp0(x)]
        for i in range(len(self.rates)):
            hs.append(self['aspp{}'.format(i + 1)](x))
        if self.image_pooling:
            pooled = F.mean(x, axis=(2, 3), keepdims=True)
            h = self.image_pool(pooled)
            hs.append(F.broadcast_to(h, hs[0].shape))
        h = F.concat(hs, axis=1) if len(hs) > 1 else hs[0]
        if not self.use_projection:
            return h
        return self.bn(self.projection(h))
