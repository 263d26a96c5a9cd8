"""Pretraining an encoder on image-level labels of the synthetic benchmark.

The paper searches and retrains decoders on ImageNet-pretrained encoders.
The CPU Table 1 cannot download or afford ImageNet, so its encoder is
pretrained here on the image-level labels of
:class:`~sparsemask.datasets.SyntheticBenchmarkDataset` images drawn with
seeds of their own (``dataset.seed``, default 1000; the benchmark's splits
use 0, 1 and 2): the scene and which textures are visible, the kind of
global and local knowledge an ImageNet classifier brings.

:func:`pretrain_encoder` trains
:class:`~sparsemask.links.EncoderClassifier` with momentum SGD and a
polynomial learning rate, evaluates it on ``dataset.n_val`` held-out images
and writes the encoder's weights (without the unused ImageNet classifier
``logits_conv``) to ``OUT/encoder.npz`` and what made them to
``OUT/encoder.yaml``: the config, the SHA-256 of the weights, the held-out
accuracies, the loss at the start and at the end and the time.
"""

import datetime
import io
import os
import sys
import time
import zipfile

import numpy
import yaml

import chainer
from chainer import serializers

from sparsemask.backbones import MobileNetV2
from sparsemask.datasets import SyntheticBenchmarkDataset
from sparsemask.links.encoder_classifier import EncoderClassifier
from sparsemask.training.config import load_config
from sparsemask.training.config import Option
from sparsemask.utils import atomic_open
from sparsemask.utils import atomic_write_text
from sparsemask.utils.file_sha256 import file_sha256

#: the keys of a pretraining config (``configs/pretrain_benchmark.yaml``)
PRETRAIN_SCHEMA = {
    'dataset': {
        'size': Option(96, 'int', minimum=8, doc='side of the images'),
        'seed': Option(1000, 'int', minimum=0,
                       doc='training images use seed, held-out seed+1'),
        'n_val': Option(512, 'int', minimum=1, doc='held-out images'),
    },
    'model': {
        'width_multiplier': Option(0.35, 'float', minimum=0, exclusive=True),
        'bn_decay': Option(0.99, 'float', minimum=0, maximum=1,
                           below_maximum=True),
    },
    'train': {
        'batchsize': Option(32, 'int', minimum=1),
        'iterations': Option(1500, 'int', minimum=1),
        'lr': Option(0.05, 'float', minimum=0, exclusive=True),
        'momentum': Option(0.9, 'float', minimum=0, maximum=1,
                           below_maximum=True),
        'weight_decay': Option(4e-5, 'float', minimum=0),
        'seed': Option(0, 'int', minimum=0,
                       doc='initial weights and flips'),
    },
    'log': {
        'log_interval': Option(50, 'int', minimum=1),
    },
}


def load_pretrain_config(path=None, overrides=()):
    """Loads a pretraining config (:data:`PRETRAIN_SCHEMA`).

    Args:
        path (str): the YAML file, or None for the defaults.
        overrides (sequence of str): ``section.key=value`` strings.

    Returns:
        dict: the config.

    Raises:
        ~sparsemask.training.ConfigError: a bad file, key or value.

    """
    return load_config(path, overrides, schema=PRETRAIN_SCHEMA)


def _batch(dataset, indices, rng, flip):
    imgs, scenes, textures = [], [], []
    for i in indices:
        img, label = dataset[int(i)]
        if flip and rng.randint(2):
            img = img[:, :, ::-1]
        scene, texture = SyntheticBenchmarkDataset.image_labels(label)
        imgs.append(img)
        scenes.append(scene)
        textures.append(texture)
    return (numpy.ascontiguousarray(numpy.stack(imgs)),
            numpy.asarray(scenes, dtype=numpy.int32),
            numpy.stack(textures))


def held_out_accuracy(model, dataset, batchsize=64):
    """The scene and texture accuracies of a classifier on a data set.

    Args:
        model (~sparsemask.links.EncoderClassifier): the classifier.
        dataset (~sparsemask.datasets.SyntheticBenchmarkDataset): the
            images.
        batchsize (int): images per forward pass.

    Returns:
        dict: ``scene_accuracy`` (fraction of images) and
        ``texture_accuracy`` (fraction of image-texture pairs).

    """
    scene_right = texture_right = 0
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for start in range(0, len(dataset), batchsize):
            idx = range(start, min(start + batchsize, len(dataset)))
            imgs, scene, texture = _batch(dataset, idx, None, False)
            scene_logit, texture_logit = model(imgs)
            scene_right += int(
                (scene_logit.array.argmax(axis=1) == scene).sum())
            texture_right += int(
                ((texture_logit.array > 0) == (texture == 1)).sum())
    n = len(dataset)
    return {'scene_accuracy': scene_right / n,
            'texture_accuracy': texture_right / (n * model.n_texture)}


def save_encoder(encoder, path):
    """Writes a MobileNetV2's weights without ``logits_conv``, atomically.

    Args:
        encoder (~sparsemask.backbones.MobileNetV2): the encoder.
        path (str): the ``.npz`` file.

    Returns:
        str: the SHA-256 of the file.

    """
    s = serializers.DictionarySerializer()
    for child in encoder.children():
        if child.name != 'logits_conv':
            s[child.name].save(child)
    write_npz(path, s.target)
    return file_sha256(path)


def write_npz(path, arrays):
    """Writes arrays as a compressed ``.npz`` whose bytes depend on the
    arrays only (sorted names, fixed zip timestamps), atomically, so that
    the same weights always have the same SHA-256.

    Args:
        path (str): the file.
        arrays (dict): name -> array.

    """
    with atomic_open(path, 'wb') as f:
        with zipfile.ZipFile(f, 'w', zipfile.ZIP_DEFLATED) as z:
            for name in sorted(arrays):
                info = zipfile.ZipInfo(name + '.npy',
                                       date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                buf = io.BytesIO()
                numpy.lib.format.write_array(
                    buf, numpy.asanyarray(arrays[name]),
                    allow_pickle=False)
                z.writestr(info, buf.getvalue())


def pretrain_encoder(config, out, say=print, command=None):
    """Pretrains a MobileNetV2 on image-level labels and writes it.

    Args:
        config (dict): a config of :func:`load_pretrain_config`.
        out (str): the output directory (``encoder.npz``, ``encoder.yaml``
            and ``log``).
        say (callable): prints a progress line.
        command (str): the command recorded in ``encoder.yaml``.

    Returns:
        dict: what ``encoder.yaml`` holds.

    """
    d, m, t = config['dataset'], config['model'], config['train']
    os.makedirs(out, exist_ok=True)
    started = time.time()
    numpy.random.seed(t['seed'])
    encoder = MobileNetV2(width_multiplier=m['width_multiplier'],
                          bn_kwargs={'decay': m['bn_decay']})
    model = EncoderClassifier(encoder)
    optimizer = chainer.optimizers.MomentumSGD(lr=t['lr'],
                                               momentum=t['momentum'])
    optimizer.setup(model)
    if t['weight_decay']:
        optimizer.add_hook(chainer.optimizer_hooks.WeightDecay(
            t['weight_decay']))
    size = (d['size'], d['size'])
    iterations, batchsize = t['iterations'], t['batchsize']
    train = SyntheticBenchmarkDataset(iterations * batchsize, size=size,
                                      seed=d['seed'])
    val = SyntheticBenchmarkDataset(d['n_val'], size=size,
                                    seed=d['seed'] + 1)
    rng = numpy.random.RandomState(t['seed'])
    reporter = chainer.Reporter()
    reporter.add_observer('main', model)
    log, window = [], []
    for it in range(iterations):
        # the polynomial rate of the paper (power 0.9)
        optimizer.lr = t['lr'] * (1 - it / iterations) ** 0.9
        imgs, scene, texture = _batch(
            train, range(it * batchsize, (it + 1) * batchsize), rng, True)
        observation = {}
        with reporter.scope(observation):
            loss = model.loss(imgs, scene, texture)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        if not numpy.isfinite(float(loss.array)):
            raise FloatingPointError(
                'pretraining diverged at iteration {} (loss {}): lower '
                'train.lr (now {:g})'.format(it + 1, float(loss.array),
                                             t['lr']))
        window.append({k.split('/')[-1]: float(chainer.as_array(v))
                       for k, v in observation.items()})
        if (it + 1) % config['log']['log_interval'] == 0 or \
                it + 1 == iterations:
            entry = {k: float(numpy.mean([w[k] for w in window]))
                     for k in window[0]}
            entry.update(iteration=it + 1, lr=optimizer.lr,
                         elapsed_time=time.time() - started)
            log.append(entry)
            window = []
            say('iteration {:5d}  loss {:.4f}  scene {:.3f}  texture '
                '{:.3f}  {:.0f} s'.format(
                    it + 1, entry['loss'], entry['scene_accuracy'],
                    entry['texture_accuracy'], entry['elapsed_time']))
    train_s = time.time() - started
    accuracy = held_out_accuracy(model, val)
    say('held out ({} images): scene {:.4f}, texture {:.4f}'.format(
        len(val), accuracy['scene_accuracy'], accuracy['texture_accuracy']))
    sha = save_encoder(encoder, os.path.join(out, 'encoder.npz'))
    record = {
        'weights': 'encoder.npz',
        'sha256': sha,
        'backbone': 'mobilenetv2',
        'width_multiplier': m['width_multiplier'],
        'held_out': dict(accuracy, images=len(val)),
        'loss': {'first': log[0]['loss'], 'last': log[-1]['loss']},
        'time_s': round(train_s, 1),
        'threads': os.environ.get('OPENBLAS_NUM_THREADS'),
        'date': datetime.datetime.now().isoformat(timespec='seconds'),
        'command': command or ' '.join(sys.argv),
        'versions': {'chainer': chainer.__version__,
                     'numpy': numpy.__version__},
        'config': config,
    }
    atomic_write_text(os.path.join(out, 'log'), yaml.safe_dump(
        log, sort_keys=False))
    atomic_write_text(os.path.join(out, 'encoder.yaml'), yaml.safe_dump(
        record, sort_keys=False))
    return record


def install_encoder(out):
    """Renames ``OUT/encoder.npz`` and ``OUT/encoder.yaml`` to the names
    ``model.pretrained_model: benchmark`` loads
    (``mobilenetv2_w0.35_benchmark.npz`` and ``.yaml``); the record's
    ``weights`` follows.

    Args:
        out (str): the pretraining's output directory.

    Returns:
        str: the new path of the weights.

    """
    stem = os.path.join(out, 'mobilenetv2_w0.35_benchmark')
    with open(os.path.join(out, 'encoder.yaml')) as f:
        record = yaml.safe_load(f)
    record['weights'] = os.path.basename(stem) + '.npz'
    os.replace(os.path.join(out, 'encoder.npz'), stem + '.npz')
    atomic_write_text(stem + '.yaml', yaml.safe_dump(record,
                                                     sort_keys=False))
    os.remove(os.path.join(out, 'encoder.yaml'))
    return stem + '.npz'
