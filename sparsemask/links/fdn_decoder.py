import chainer
import chainer.functions as F

from sparsemask.connectivity import parse_input
from sparsemask.links._bn import batch_normalization
from sparsemask.links._inference import batch_normalization_inplace
from sparsemask.links._inference import is_relu6
from sparsemask.links.fdn_stage import FDNStage
from sparsemask.utils.inference import cpu_inference
from sparsemask.utils.inference import relu6_array


def relu6(x):
    """ReLU6, the activation of MobileNetV2 and of the decoder."""
    return F.clipped_relu(x, 6.0)


def _identity(x):
    return x


def _relu6_variable(x):
    # ReLU6 into a new array, without a graph (inference)
    return chainer.Variable(relu6_array(chainer.as_array(x)))


class FDNDecoder(chainer.Chain):
    """The decoder of a Fully Dense Network for a given connectivity.

    Stage ``l`` (an :class:`~sparsemask.links.FDNStage` named ``stage<l>``)
    reads the inputs its connectivity lists and has the spatial size of
    encoder stage ``E_l``; one batch normalization (``bn<l>``) follows its
    sum. Stages are computed coarsest first. Encoder features and ``G`` go
    through the backbone's ``feature_activation``, decoder features through
    ``activation``, before the 1x1 convolutions that read them.

    Args:
        connectivity (~sparsemask.Connectivity): the architecture.
        encoder_channels (sequence of int): channels of E_1..E_L.
        g_channels (int): channels of G.
        channels (int): channels of every decoder stage.
        search (bool): build per-connection BN and weights (paper Eq. 4).
        feature_activation (callable): applied to E_l and G, or None.
        activation (callable): applied to D_l when it is read.
        bn_kwargs (dict): keyword arguments of every batch normalization of
            the decoder (for instance ``{'comm': comm}`` under ChainerMN).
        stage_kwargs (dict): more keyword arguments of every
            :class:`~sparsemask.links.FDNStage`.

    """

    def __init__(self, connectivity, encoder_channels, g_channels,
                 channels=64, search=False, feature_activation=relu6,
                 activation=relu6, bn_kwargs=None, **stage_kwargs):
        super(FDNDecoder, self).__init__()
        if len(encoder_channels) != connectivity.n_stages:
            raise ValueError(
                'the connectivity has {} stages but the backbone has {}'
                .format(connectivity.n_stages, len(encoder_channels)))
        self.connectivity = connectivity
        self.channels = channels
        #: int: channels of the output (D_1), those of every stage
        self.out_channels = channels
        self.search = search
        self.feature_activation = feature_activation
        self.activation = activation
        bn_kwargs = dict(bn_kwargs or {})

        def in_channels(name):
            kind, i = parse_input(name)
            if kind == 'E':
                return encoder_channels[i - 1]
            return channels if kind == 'D' else g_channels

        with self.init_scope():
            for l in connectivity.stages:
                setattr(self, 'stage{}'.format(l), FDNStage(
                    [in_channels(n) for n in connectivity.inputs(l)],
                    channels, weighted=search, bn_kwargs=bn_kwargs,
                    **stage_kwargs))
                setattr(self, 'bn{}'.format(l), batch_normalization(
                    channels, bn_kwargs))

    def forward(self, stages, g):
        """Computes the decoder.

        Args:
            stages (sequence of ~chainer.Variable): E_1..E_L.
            g (~chainer.Variable): G, ``(N, C_g, 1, 1)``.

        Returns:
            ~chainer.Variable: D_1 (after its batch normalization, before
            the activation).

        """
        # in inference on the CPU: ReLU6 and the stages' BN on arrays the
        # pass owns, in place (sparsemask.links._inference)
        fast = cpu_inference(g) and \
            (self.feature_activation is None
             or is_relu6(self.feature_activation)) and \
            is_relu6(self.activation)
        if self.feature_activation is None:
            feature_activation = _identity
        elif fast:
            feature_activation = _relu6_variable
        else:
            feature_activation = self.feature_activation
        features = {}

        def read(name):
            if name not in features:
                kind, i = parse_input(name)
                features[name] = feature_activation(
                    g if kind == 'G' else stages[i - 1])
            return features[name]

        d = None
        last = self.connectivity.stages[-1]
        for l in self.connectivity.stages:
            xs = [read(n) for n in self.connectivity.inputs(l)]
            d = self['stage{}'.format(l)](xs, stages[l - 1].shape[2:])
            bn = self['bn{}'.format(l)]
            if fast and batch_normalization_inplace(bn, d.array) is not None:
                if l != last:
                    # (only D_1, the last, is returned before activation;
                    # no stage reads it)
                    features['D{}'.format(l)] = chainer.Variable(
                        relu6_array(d.array, out=d.array))
                continue
            d = bn(d)
            features['D{}'.format(l)] = self.activation(d)
        return d

