import chainer
import chainer.functions as F
from chainer import reporter

from sparsemask.functions.balanced_sigmoid_cross_entropy import \
    balanced_sigmoid_cross_entropy


class PixelwiseSigmoidClassifier(chainer.Chain):
    """A pixel-wise binary classifier: the loss of a one-channel map, for
    saliency (sigmoid cross entropy) and edges (HED's class-balanced sigmoid
    cross entropy), shaped like ChainerCV's
    :class:`~chainercv.links.PixelwiseSoftmaxClassifier`.

    Args:
        predictor (~chainer.Link): a network returning logits ``(N, 1, H,
            W)``, e.g. :class:`~sparsemask.links.SparseMask` with
            ``n_class=1``.
        class_balanced (bool): use
            :func:`~sparsemask.functions.balanced_sigmoid_cross_entropy`
            (edges); otherwise
            :func:`chainer.functions.sigmoid_cross_entropy`, the mean over
            the labelled pixels (saliency).

    Labels are int32 ``(N, H, W)``: 1, 0, or -1 where ignored.

    """

    def __init__(self, predictor, class_balanced=False):
        super(PixelwiseSigmoidClassifier, self).__init__()
        with self.init_scope():
            self.predictor = predictor
        self.class_balanced = class_balanced

    def forward(self, x, t):
        """Computes the loss of a batch of images and labels.

        Args:
            x (~chainer.Variable or array): images ``(N, 3, H, W)``.
            t (array): int32 labels ``(N, H, W)``.

        Returns:
            ~chainer.Variable: the loss.

        """
        self.y = self.predictor(x)
        if self.y.shape[1] != 1:
            raise ValueError(
                'PixelwiseSigmoidClassifier: the predictor returns {} '
                'channels; a binary map needs 1 (n_class=1)'.format(
                    self.y.shape[1]))
        if self.class_balanced:
            self.loss = balanced_sigmoid_cross_entropy(self.y, t)
        else:
            self.loss = F.sigmoid_cross_entropy(self.y[:, 0], t)
        reporter.report({'loss': self.loss}, self)
        return self.loss
