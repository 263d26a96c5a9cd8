import pytest

from sparsemask.benchmarks import parse_size
from sparsemask.training import ConfigError


@pytest.mark.parametrize('text,size', [
    ('64', (64, 64)), ('48x40', (48, 40)), ('512X512', (512, 512)),
    (321, (321, 321))])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize('text', ['64x', 'x', '0', '2x3x4', '-1', 'a'])
def test_bad_sizes_name_the_option(text):
    with pytest.raises(ConfigError, match="--train-crop '{}': expected H "
                       "or HxW".format(text)):
        parse_size(text, '--train-crop')
