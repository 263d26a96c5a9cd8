"""Loading encoder weights: the weights shipped with the package and
``.npz`` files with or without the unused ImageNet classifier."""

import os

import numpy
import yaml

from chainer import serializers

from sparsemask.utils.file_sha256 import file_sha256

#: the folder of the weights shipped with the package
WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'weights')
#: how to make them again
REGENERATE = ('python train/pretrain.py --out sparsemask/backbones/weights '
              '(see configs/pretrain_benchmark.yaml)')


def packaged_weights(name):
    """The path of weights shipped with the package, checked against the
    SHA-256 its ``.yaml`` records.

    Args:
        name (str): the file name (``<stem>.npz``; ``<stem>.yaml`` holds
            its ``sha256``).

    Returns:
        str: the path.

    Raises:
        ValueError: the file or its record is missing, or the checksum
            differs (naming the file, both checksums and how to make the
            file again).

    """
    path = os.path.join(WEIGHTS_DIR, name)
    record_path = os.path.splitext(path)[0] + '.yaml'
    for p in (path, record_path):
        if not os.path.isfile(p):
            raise ValueError('{} does not exist; make it with {}'.format(
                p, REGENERATE))
    with open(record_path) as f:
        expected = (yaml.safe_load(f) or {}).get('sha256')
    actual = file_sha256(path)
    if actual != expected:
        raise ValueError(
            '{}: SHA-256 {} differs from the {} recorded in {}; the file '
            'is damaged or was replaced: make it again with {}'.format(
                path, actual, expected, record_path, REGENERATE))
    return path


def load_encoder_npz(path, chain, optional=('logits_conv',)):
    """Loads an ``.npz`` into a chain strictly, except that the children
    named in ``optional`` may be missing from the file (then they keep
    their initial weights).

    Args:
        path (str): the ``.npz`` file (:func:`chainer.serializers.save_npz`
            layout).
        chain (~chainer.Chain): the chain.
        optional (tuple of str): children the file may lack, e.g. an unused
            classifier.

    """
    with numpy.load(path) as npz:
        present = {key.split('/', 1)[0] for key in npz.files}
        deserializer = serializers.NpzDeserializer(npz, strict=True)
        for child in chain.children():
            if child.name in optional and child.name not in present:
                continue
            child.serialize(deserializer[child.name])
