"""An encoder with an image-level classifier, for pretraining."""

import numpy

import chainer
import chainer.functions as F
import chainer.links as L


class EncoderClassifier(chainer.Chain):
    """An encoder pretrained on image-level labels, as ImageNet pretrains
    the paper's backbones, but on this project's synthetic scenes.

    The spatial mean of the encoder's last stage feeds one linear layer
    with ``n_scene`` logits of the scene (softmax) followed by ``n_texture``
    logits of whether each texture is present somewhere in the image
    (sigmoids).

    Args:
        encoder (~chainer.Chain): a backbone of :mod:`sparsemask.backbones`
            (``forward(x)`` returns ``(stages, g)``; ``mean``, ``std`` and
            ``g_channels``).
        n_scene (int): the scenes.
        n_texture (int): the textures.

    """

    def __init__(self, encoder, n_scene=2, n_texture=2):
        super(EncoderClassifier, self).__init__()
        self.n_scene = n_scene
        self.n_texture = n_texture
        with self.init_scope():
            self.encoder = encoder
            self.fc = L.Linear(encoder.g_channels, n_scene + n_texture)

    def forward(self, imgs):
        """The logits of a batch.

        Args:
            imgs (array): RGB images ``(N, 3, H, W)`` in [0, 255].

        Returns:
            tuple: ``(scene, texture)`` logits, ``(N, n_scene)`` and
            ``(N, n_texture)``.

        """
        xp = chainer.backend.get_array_module(imgs)
        x = (imgs - xp.asarray(self.encoder.mean)) / xp.asarray(
            self.encoder.std)
        _, g = self.encoder(x.astype(numpy.float32))
        h = self.fc(g)
        return h[:, :self.n_scene], h[:, self.n_scene:]

    def loss(self, imgs, scene, texture):
        """The softmax cross entropy of the scene plus the sigmoid cross
        entropy of the textures, reported with both accuracies.

        Args:
            imgs (array): RGB images ``(N, 3, H, W)`` in [0, 255].
            scene (array): int32 ``(N,)``.
            texture (array): int32 ``(N, n_texture)``, 1 where present.

        Returns:
            ~chainer.Variable: the loss.

        """
        scene_logit, texture_logit = self.forward(imgs)
        loss = F.softmax_cross_entropy(scene_logit, scene) + \
            F.sigmoid_cross_entropy(texture_logit, texture)
        chainer.report({
            'loss': loss,
            'scene_accuracy': F.accuracy(scene_logit, scene),
            'texture_accuracy': F.binary_accuracy(texture_logit, texture),
        }, self)
        return loss
