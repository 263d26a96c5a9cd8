import numpy
import pytest

import chainer
import chainer.functions as F

from sparsemask import Connectivity
from sparsemask import prune
from sparsemask import SparseMask
from sparsemask import sparse_loss
from sparsemask import default_alpha
from tests.tiny_backbone import TinyBackbone


def _batch(n=2, size=(23, 17), seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(n, 3, *size).astype(numpy.float32)
    t = rng.randint(0, 5, (n,) + size).astype(numpy.int32)
    return x, t


@pytest.mark.parametrize('search', [True, False])
def test_forward_backward_shapes(search):
    model = SparseMask(TinyBackbone(), 5, search=search)
    model.cleargrads()  # parameters start with NaN gradients in Chainer
    x, t = _batch()
    y = model(x)
    assert y.shape == (2, 5, 23, 17)
    F.softmax_cross_entropy(y, t).backward()
    assert model.head.W.grad is not None
    assert numpy.abs(model.backbone.c1.W.grad).sum() > 0
    n_weighted = sum(1 for _, s in model.stages() if s.weighted)
    assert n_weighted == (3 if search else 0)


def test_search_model_has_one_weight_per_connection():
    model = SparseMask(TinyBackbone(), 5, search=True)
    weights = model.connection_weights()
    assert sum(len(v) for v in weights.values()) == 12  # L(L+1), L = 3
    assert weights[1] == {n: 0.5 for n in
                          ('E1', 'E2', 'E3', 'D2', 'D3', 'G')}
    assert prune(weights) == Connectivity.full(3)


def test_retrain_model_builds_only_the_connectivity():
    c = Connectivity(3, {3: ['E3', 'G'], 1: ['E1', 'D3']})
    model = SparseMask(TinyBackbone(), 5, connectivity=c)
    assert not hasattr(model.decoder, 'stage2')
    assert model.decoder.stage1.in_channels == (4, 64)
    assert model.decoder.stage3.in_channels == (8, 8)
    assert all('/w' not in n for n, _ in model.namedparams())
    with pytest.raises(ValueError, match='search mode'):
        model.connection_weights()


def test_connection_weights_flow_into_prune():
    model = SparseMask(TinyBackbone(), 5, search=True)
    model.decoder.stage1.w.array[:] = [1, 0, 0, 0, 1, 1]  # E1 E2 E3 D2 D3 G
    model.decoder.stage2.w.array[:] = 1.0
    c = prune(model.connection_weights())
    assert c.stages == (3, 1)
    assert c.inputs(1) == ('E1', 'D3', 'G')


def test_sparse_loss_is_lambda_times_sum_over_stages():
    model = SparseMask(TinyBackbone(), 5, search=True)
    rng = numpy.random.RandomState(0)
    expected = 0
    for _, stage in model.stages():
        stage.w.array[:] = rng.uniform(0.1, 0.9, stage.n_inputs)
        expected += float(sparse_loss(stage.w.array,
                                      default_alpha(stage.n_inputs)).array)
    model.cleargrads()
    loss = model.sparse_loss(lam=0.01)
    assert float(loss.array) == pytest.approx(0.01 * expected, rel=1e-5)
    loss.backward()
    for _, stage in model.stages():
        assert stage.w.grad is not None and numpy.all(stage.w.grad != 0)


def test_connection_weights_get_gradients_from_the_task_loss():
    model = SparseMask(TinyBackbone(), 5, search=True)
    model.cleargrads()
    x, t = _batch()
    F.softmax_cross_entropy(model(x), t).backward()
    for _, stage in model.stages():
        assert numpy.all(numpy.isfinite(stage.w.grad))
        assert numpy.any(stage.w.grad != 0)


def test_clip_connection_weights():
    model = SparseMask(TinyBackbone(), 5, search=True)
    model.decoder.stage1.w.array[:] = [-1, 2, 0.5, 0, 1, 3]
    model.clip_connection_weights()
    numpy.testing.assert_array_equal(model.decoder.stage1.w.array,
                                     [0, 1, 0.5, 0, 1, 1])


def test_predict_returns_int32_label_maps():
    model = SparseMask(TinyBackbone(), 5)
    imgs = [numpy.random.uniform(0, 255, (3, 20, 30)).astype(numpy.float32),
            numpy.random.uniform(0, 255, (3, 9, 9)).astype(numpy.float32)]
    labels = model.predict(imgs)
    assert [l.shape for l in labels] == [(20, 30), (9, 9)]
    assert all(l.dtype == numpy.int32 for l in labels)
    with chainer.using_config('train', False):
        x = (imgs[0] - model.mean) / model.std
        y = model(x[None]).array[0]
    numpy.testing.assert_array_equal(labels[0], y.argmax(axis=0))


def test_stage_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match='transfer'):
        SparseMask(TinyBackbone(), 5, connectivity=Connectivity.full(5))


def test_l1_loss_is_lambda_times_sum_of_absolute_weights():
    model = SparseMask(TinyBackbone(), 5, search=True)
    rng = numpy.random.RandomState(2)
    for _, stage in model.stages():
        stage.w.array[:] = rng.uniform(0, 1, stage.n_inputs)
    expected = sum(abs(float(v)) for _, stage in model.stages()
                   for v in stage.w.array)
    model.cleargrads()
    loss = model.sparse_loss(lam=0.3, loss='l1')
    assert float(loss.array) == pytest.approx(0.3 * expected, rel=1e-6)
    loss.backward()
    for _, stage in model.stages():
        numpy.testing.assert_allclose(stage.w.grad, 0.3, rtol=1e-6)
    with pytest.raises(ValueError, match="'l2'.*sparse, l1"):
        model.sparse_loss(loss='l2')


@pytest.mark.parametrize('arch', ['fcn', 'unet', 'sparseacn', 'random',
                                  'full'])
def test_baselines_forward_backward(arch):
    if arch == 'random':
        c = Connectivity.random(3, 5, seed=1)
    else:
        c = getattr(Connectivity, arch)(3)
    model = SparseMask(TinyBackbone(), 5, connectivity=c, channels=6)
    assert model.connectivity == c
    assert [l for l, _ in model.stages()] == list(c.stages)
    model.cleargrads()
    x, t = _batch()
    y = model(x)
    assert y.shape == (2, 5, 23, 17)
    F.softmax_cross_entropy(y, t).backward()
    for name, p in model.namedparams():
        if name.startswith('/decoder') or name.startswith('/head'):
            assert p.grad is not None and numpy.abs(p.grad).sum() > 0, name


@pytest.mark.parametrize('fused', [True, False])
def test_search_without_connection_bn_and_with_topk(fused):
    model = SparseMask(TinyBackbone(), 5, search=True, connection_bn=False,
                       topk=2, weight_scale=2.0, fused=fused)
    assert not [n for n, _ in model.namedparams() if '/bn' in n and
                '/stage' in n]
    model.cleargrads()
    x, t = _batch()
    F.softmax_cross_entropy(model(x), t).backward()
    for _, stage in model.stages():
        assert stage.weight_scale == 2.0 and stage.topk == 2
    # the initial weights tie: each stage uses its first two inputs, E_l
    # and E_{l+1} (D_1: E1, E2; D_2: E2, E3), so D_2 and D_3 are read by
    # no one, and only D_1's first two weights have a gradient
    assert (model.decoder.stage1.w.grad != 0).tolist() == \
        [True, True, False, False, False, False]
    assert not model.decoder.stage2.w.grad.any()
    assert not model.decoder.stage3.w.grad.any()


@pytest.mark.parametrize('fused', [True, False])
@pytest.mark.parametrize('train', [True, False])
def test_resize_bilinear_matches_the_stock_functions(fused, train):
    # the model resizes with sparsemask.functions.resize_bilinear (the
    # logits; the unfused stages' inputs too); with
    # chainer.config.stock_functions, F.resize_images: the same logits and
    # gradients
    model = SparseMask(TinyBackbone(), 5, search=True, fused=fused)
    rng = numpy.random.RandomState(7)
    for _, stage in model.stages():
        stage.w.array[:] = rng.uniform(0.2, 1, stage.n_inputs)
    x, t = _batch(size=(37, 29))
    results = []
    for stock in (False, True):
        model.cleargrads()
        with chainer.using_config('train', train), \
                chainer.using_config('stock_functions', stock):
            y = model(x)
            types = {type(node.creator).__name__
                     for node in _graph(y) if node.creator is not None}
            F.softmax_cross_entropy(y, t).backward()
        expected = 'ResizeImages' if stock else 'ResizeBilinear'
        assert expected in types and len(types & {
            'ResizeImages', 'ResizeBilinear'}) == 1
        results.append((y.array, {n: p.grad.copy()
                                  for n, p in model.namedparams()}))
    (y, grads), (y_stock, grads_stock) = results
    numpy.testing.assert_allclose(y, y_stock, rtol=1e-5, atol=1e-5)
    for name, g in grads.items():
        numpy.testing.assert_allclose(g, grads_stock[name], rtol=1e-4,
                                      atol=1e-5, err_msg=name)


def _graph(y):
    # the variable nodes of the computational graph that produced y
    seen, todo = {}, [y.node]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = node
        if node.creator_node is not None:
            todo.extend(node.creator_node.inputs)
    return list(seen.values())
