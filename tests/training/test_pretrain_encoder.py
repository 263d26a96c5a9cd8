import hashlib
import os

import numpy
import pytest
import yaml

import chainer

from sparsemask.backbones import MobileNetV2
from sparsemask.backbones import _weights
from sparsemask.training.pretrain_encoder import install_encoder
from sparsemask.training.pretrain_encoder import load_pretrain_config
from sparsemask.training.pretrain_encoder import pretrain_encoder

TINY = ['dataset.size=32', 'dataset.n_val=8', 'train.batchsize=4',
        'train.iterations=3', 'log.log_interval=1']


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('pretrain'))
    record = pretrain_encoder(load_pretrain_config(None, TINY), out,
                              say=lambda t: None)
    return out, record


def test_writes_the_encoder_its_checksum_and_record(pretrained):
    out, record = pretrained
    path = os.path.join(out, 'encoder.npz')
    with open(path, 'rb') as f:
        assert record['sha256'] == hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(out, 'encoder.yaml')) as f:
        assert yaml.safe_load(f)['sha256'] == record['sha256']
    assert 0 <= record['held_out']['scene_accuracy'] <= 1
    assert record['config']['train']['iterations'] == 3
    with numpy.load(path) as npz:
        assert not any(k.startswith('logits_conv/') for k in npz.files)
        assert 'conv1/bn/avg_mean' in npz.files


def test_the_encoder_loads_back_exactly(pretrained):
    out, _ = pretrained
    path = os.path.join(out, 'encoder.npz')
    encoder = MobileNetV2(pretrained_model=path, width_multiplier=0.35)
    with numpy.load(path) as npz:
        for name, param in encoder.namedparams():
            key = name.lstrip('/')
            if key.startswith('logits_conv/'):
                continue
            numpy.testing.assert_array_equal(param.array, npz[key])
        numpy.testing.assert_array_equal(
            encoder.conv1.bn.avg_var, npz['conv1/bn/avg_var'])


def test_a_file_missing_an_encoder_weight_is_refused(pretrained, tmp_path):
    out, _ = pretrained
    with numpy.load(os.path.join(out, 'encoder.npz')) as npz:
        arrays = {k: npz[k] for k in npz.files if k != 'conv/conv/conv/W'}
    path = str(tmp_path / 'broken.npz')
    numpy.savez(path, **arrays)
    with pytest.raises(KeyError, match='conv/conv/conv/W'):
        MobileNetV2(pretrained_model=path, width_multiplier=0.35)


def test_install_and_the_packaged_checksum(pretrained, tmp_path,
                                           monkeypatch):
    out, record = pretrained
    copy = tmp_path / 'run'
    copy.mkdir()
    for name in ('encoder.npz', 'encoder.yaml'):
        (copy / name).write_bytes(open(os.path.join(out, name), 'rb').read())
    path = install_encoder(str(copy))
    assert os.path.basename(path) == 'mobilenetv2_w0.35_benchmark.npz'
    monkeypatch.setattr(_weights, 'WEIGHTS_DIR', str(copy))
    encoder = MobileNetV2(pretrained_model='benchmark',
                          width_multiplier=0.35)
    with numpy.load(path) as npz:
        numpy.testing.assert_array_equal(encoder.conv.conv.conv.W.array,
                                         npz['conv/conv/conv/W'])
    with pytest.raises(ValueError, match='width_multiplier=0.35'):
        MobileNetV2(pretrained_model='benchmark', width_multiplier=0.5)
    # a damaged file is refused, naming it and both checksums
    with open(path, 'ab') as f:
        f.write(b'x')
    with pytest.raises(ValueError) as e:
        MobileNetV2(pretrained_model='benchmark', width_multiplier=0.35)
    assert path in str(e.value) and record['sha256'] in str(e.value)


def test_the_classifier_loss_against_float64(pretrained):
    from sparsemask.links.encoder_classifier import EncoderClassifier
    numpy.random.seed(0)
    model = EncoderClassifier(MobileNetV2(width_multiplier=0.35))
    imgs = numpy.random.uniform(0, 255, (3, 3, 32, 32)).astype('f')
    scene = numpy.array([0, 1, 1], numpy.int32)
    texture = numpy.array([[1, 0], [1, 1], [0, 1]], numpy.int32)
    with chainer.using_config('train', False):
        s, t = model(imgs)
        reporter = chainer.Reporter()
        reporter.add_observer('main', model)
        observation = {}
        with reporter.scope(observation):
            loss = model.loss(imgs, scene, texture)
    s = s.array.astype(numpy.float64)
    t = t.array.astype(numpy.float64)
    log_softmax = s - numpy.log(numpy.exp(s).sum(axis=1, keepdims=True))
    ce = -log_softmax[numpy.arange(3), scene].mean()
    bce = (numpy.log1p(numpy.exp(-numpy.abs(t))) + numpy.maximum(t, 0) -
           t * texture).mean()
    numpy.testing.assert_allclose(float(loss.array), ce + bce, rtol=1e-5)
    assert float(observation['main/scene_accuracy'].array) == \
        pytest.approx((s.argmax(axis=1) == scene).mean())


def test_a_bad_config_key_is_named():
    from sparsemask.training.config import ConfigError
    with pytest.raises(ConfigError, match='train.iteration'):
        load_pretrain_config(None, ['train.iteration=3'])


def test_the_same_weights_give_the_same_file(pretrained, tmp_path):
    from sparsemask.training.pretrain_encoder import file_sha256
    from sparsemask.training.pretrain_encoder import write_npz
    out, record = pretrained
    with numpy.load(os.path.join(out, 'encoder.npz')) as npz:
        arrays = {k: npz[k] for k in npz.files}
    a, b = str(tmp_path / 'a.npz'), str(tmp_path / 'b.npz')
    write_npz(a, arrays)
    write_npz(b, dict(reversed(list(arrays.items()))))
    assert file_sha256(a) == file_sha256(b) == record['sha256']
    with numpy.load(a) as npz:
        for k, v in arrays.items():
            numpy.testing.assert_array_equal(npz[k], v)
