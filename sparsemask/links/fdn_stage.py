import numpy

import chainer
import chainer.functions as F
import chainer.links as L

from sparsemask.functions.fdn_stage import fdn_stage
from sparsemask.functions.resize_bilinear import resize_bilinear
from sparsemask.functions.topk_mask import topk_mask
from sparsemask.links._bn import batch_normalization


class FDNStage(chainer.Chain):
    """One decoder stage of a Fully Dense Network: a weighted sum of inputs.

    For inputs :math:`x_t` of different resolutions it computes (paper
    Eq. 4)

    .. math::
        D = \\sum_t w^t f_\\uparrow(bn^t(conv^t(x_t)))

    where :math:`conv^t` is a 1x1 convolution applied at the input's own
    resolution (paper Theorem 2), :math:`bn^t` a batch normalization and
    :math:`f_\\uparrow` bilinear upsampling (``align_corners=True``, as
    :func:`chainer.functions.resize_images`) to the stage's output size.
    With ``weighted=False`` (a pruned, retrained architecture, paper
    Sec. 3.3) the per-connection BN and the weights :math:`w` are absent:
    :math:`D = \\sum_t f_\\uparrow(conv^t(x_t))`. With
    ``connection_bn=False`` (the paper's ablation without Eq. 4's BN,
    Sec. 4.2) the weights stay and the BN goes:
    :math:`D = \\sum_t w^t f_\\uparrow(conv^t(x_t))` (Eq. 1).

    Parameters are named ``conv<t>`` and ``bn<t>`` for input ``t`` (in the
    order the inputs are given) and ``w`` for the connection weights.

    Args:
        in_channels (sequence of int): channels of each input.
        out_channels (int): channels of the output.
        weighted (bool): add the per-connection BN and weights (search).
        initial_weight (float): initial value of every weight.
        weight_scale (float): the forward pass multiplies by
            ``weight_scale * w``. 1 follows the paper; the authors' code
            effectively uses 2 with weights starting at 0.5.
        weight_noise (float): standard deviation of Gaussian noise added to
            ``w`` (then clipped to [0, 1]) in every training forward pass,
            as the authors' code does with 0.1. 0 follows the paper.
        bn_affine (bool): give the per-connection BN a learnt scale and
            shift. By default it has none, so each normalised input has
            unit amplitude and ``w`` alone measures its importance (paper
            Eq. 4; the authors' code freezes gamma and beta at 1 and 0).
        connection_bn (bool): with ``weighted``, normalise each
            connection (Eq. 4). ``False`` builds no per-connection BN (Eq.
            1, the paper's ablation); ``bn_affine`` must then be False.
        topk (int): with ``weighted``, the forward pass uses only the
            ``topk`` largest weights of the stage (MaskConnect-style, the
            paper's Table 1 "MaskConnect"): it multiplies by ``w * m``,
            where ``m`` is the 0/1 mask of
            :func:`~sparsemask.functions.topk_mask` of the weights it
            would use (with their noise in training mode), so the task loss'
            gradient reaches the chosen weights only. None: every weight.
        bn_kwargs (dict): keyword arguments of the per-connection
            :class:`chainer.links.BatchNormalization`.
        initialW: initializer of the 1x1 convolutions.
        fused (bool): compute the stage with the fused op
            :func:`sparsemask.functions.fdn_stage` (one CUDA kernel on the
            GPU, stacked matmuls on the CPU). ``False`` uses separate
            functions: ``L.Convolution2D`` 1x1, ``L.BatchNormalization``,
            :func:`~sparsemask.functions.resize_bilinear` (bilinear
            resizing by matmuls; ``F.resize_images`` under
            ``chainer.config.stock_functions``), scale and sum. Both have
            the same parameters, so ``copyparams`` works between them. Under
            ChainerMN (``'comm'`` in ``bn_kwargs``) the per-connection BN
            needs statistics across processes and the stage is unfused.

    """

    def __init__(self, in_channels, out_channels, weighted=True,
                 initial_weight=0.5, weight_scale=1.0, weight_noise=0.0,
                 bn_affine=False, bn_kwargs=None, initialW=None, fused=True,
                 connection_bn=True, topk=None):
        super(FDNStage, self).__init__()
        self.in_channels = tuple(int(c) for c in in_channels)
        if not self.in_channels:
            raise ValueError('an FDN stage needs at least one input')
        if bn_affine and not connection_bn:
            raise ValueError('bn_affine=True needs the per-connection BN '
                             '(connection_bn=True)')
        if topk is not None and (isinstance(topk, bool) or topk < 1):
            raise ValueError('topk must be a positive integer or None, not '
                             '{!r}'.format(topk))
        self.out_channels = out_channels
        self.weighted = weighted
        self.weight_scale = weight_scale
        self.weight_noise = weight_noise
        self.connection_bn = bool(weighted and connection_bn)
        self.topk = topk if weighted else None
        bn_kwargs = bn_kwargs or {}
        self.fused = fused and not (self.connection_bn and
                                    'comm' in bn_kwargs)
        with self.init_scope():
            for t, c in enumerate(self.in_channels):
                setattr(self, 'conv{}'.format(t), L.Convolution2D(
                    c, out_channels, 1, nobias=True, initialW=initialW))
                if self.connection_bn:
                    kwargs = dict(bn_kwargs)
                    if not bn_affine:
                        kwargs.update(use_gamma=False, use_beta=False)
                    setattr(self, 'bn{}'.format(t),
                            batch_normalization(out_channels, kwargs))
            if weighted:
                self.w = chainer.Parameter(
                    numpy.full((len(self.in_channels),), initial_weight,
                               dtype=numpy.float32))

    @property
    def n_inputs(self):
        """int: the number of connections."""
        return len(self.in_channels)

    def effective_weights(self):
        """Returns the factors the forward pass multiplies each input by.

        Returns:
            ~chainer.Variable: shape ``(T,)``; ``weight_scale * w``, with
            noise in training mode when ``weight_noise > 0``, and with
            ``topk`` zero but at the ``topk`` largest (noisy) weights.

        """
        w = self.w
        if self.weight_noise > 0 and chainer.config.train:
            noise = self.xp.random.normal(
                0, self.weight_noise, w.shape).astype(w.dtype)
            w = F.clip(w + noise, 0.0, 1.0)
        if self.topk is not None and self.topk < self.n_inputs:
            w = w * topk_mask(w.array, self.topk)
        return w * self.weight_scale

    def forward(self, xs, size):
        """Computes the stage.

        Args:
            xs (sequence of ~chainer.Variable): the inputs, each
                ``(N, C_t, h_t, w_t)``, in the order of ``in_channels``.
            size (tuple of int): the output size ``(H, W)``.

        Returns:
            ~chainer.Variable: ``(N, out_channels, H, W)``.

        """
        if len(xs) != self.n_inputs:
            raise ValueError('FDNStage expects {} inputs, got {}'.format(
                self.n_inputs, len(xs)))
        size = tuple(int(s) for s in size)
        w = self.effective_weights() if self.weighted else None
        if self.fused:
            return self._forward_fused(xs, size, w)
        out = None
        for t, x in enumerate(xs):
            h = self['conv{}'.format(t)](x)
            if self.connection_bn:
                h = self['bn{}'.format(t)](h)
            if h.shape[2:] != size:
                h = resize_bilinear(h, size)
            if self.weighted:
                h = F.broadcast_to(F.reshape(w[t], (1, 1, 1, 1)), h.shape) * h
            out = h if out is None else out + h
        return out

    def _forward_fused(self, xs, size, w):
        Ws = [self['conv{}'.format(t)].W for t in range(self.n_inputs)]
        if not self.connection_bn:
            return fdn_stage(xs, Ws, size, w=w, normalize=False)
        bns = [self['bn{}'.format(t)] for t in range(self.n_inputs)]
        xp = self.xp
        dtype = bns[0].avg_mean.dtype
        C = self.out_channels
        gamma = F.stack([bn.gamma if bn.gamma is not None
                         else xp.ones(C, dtype) for bn in bns])
        beta = F.stack([bn.beta if bn.beta is not None
                        else xp.zeros(C, dtype) for bn in bns])
        mean = xp.stack([bn.avg_mean for bn in bns])
        var = xp.stack([bn.avg_var for bn in bns])
        y = fdn_stage(xs, Ws, size, gamma, beta, w, normalize=True,
                      eps=bns[0].eps, running_mean=mean, running_var=var,
                      decay=bns[0].decay)
        if chainer.config.train:
            for t, bn in enumerate(bns):
                bn.avg_mean[...] = mean[t]
                bn.avg_var[...] = var[t]
        return y
