import numpy
import pytest

from sparsemask.benchmarks import model_variants
from sparsemask.benchmarks import throughput
from sparsemask.training import ConfigError
from tests.benchmarks.models import DEFAULT_CONFIG
from tests.benchmarks.models import PAPER_ARCH

WIDTH = ['model.width_multiplier=0.25']


def test_ours_and_stock_share_the_weights():
    models, config, mode, n_class = model_variants(
        DEFAULT_CONFIG, WIDTH, default_arch=PAPER_ARCH)
    assert (mode, n_class) == ('retrain', 21)
    assert config['model']['arch'] == PAPER_ARCH
    assert config['model']['pretrained_model'] is None
    ours, stock = models['ours'], models['stock']
    assert ours.decoder.stage1.fused and not stock.decoder.stage1.fused
    assert ours.connectivity.n_connections == 15
    stock_params = dict(stock.namedparams())
    for name, p in ours.namedparams():
        numpy.testing.assert_array_equal(p.array, stock_params[name].array)


def test_search_model_and_classes():
    models, _, mode, n_class = model_variants(
        DEFAULT_CONFIG, WIDTH, search=True, n_class=3,
        default_arch=PAPER_ARCH)
    assert (mode, n_class) == ('search', 3)
    assert models['ours'].connectivity.n_connections == 90
    assert models['stock'].n_class == 3


@pytest.mark.parametrize('kwargs,message', [
    (dict(config='missing.yaml'), '--config missing.yaml does not exist'),
    (dict(search=True, arch='full'), '--arch: the search model'),
    (dict(n_class=0), '--n-class 0'),
    (dict(run='.', search=True), '--search: the model of --run'),
])
def test_errors(kwargs, message):
    kwargs = dict(dict(config=DEFAULT_CONFIG, overrides=WIDTH), **kwargs)
    with pytest.raises(ConfigError, match=message):
        model_variants(**kwargs)


def test_throughput_row():
    models, _, _, _ = model_variants(DEFAULT_CONFIG, WIDTH,
                                     default_arch=PAPER_ARCH)
    row = throughput(models, 2, (32, 48), numpy, repeat=2, warmup=0)
    assert set(row) == {'batch', 'ours', 'stock'} and row['batch'] == 2
    for name in models:
        assert len(row[name]['times_s']) == 2
        assert row[name]['images_per_s'] == pytest.approx(
            2 / row[name]['median_s'])
