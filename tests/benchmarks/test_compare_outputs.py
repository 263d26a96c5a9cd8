from sparsemask.benchmarks import compare_outputs
from tests.benchmarks.models import build

import pytest


@pytest.mark.parametrize('mode', ['retrain', 'search'])
def test_ours_and_stock_outputs_agree(mode):
    ours = build(mode, fused=True)
    stock = build(mode, fused=False)
    assert ours.decoder.stage1.fused and not stock.decoder.stage1.fused
    stock.copyparams(ours)
    result = compare_outputs({'ours': ours, 'stock': stock}, (64, 48),
                             ours.xp)
    assert result['agree'], result
    assert result['max_abs_diff'] <= 1e-4 * max(1, result['max_abs_logit'])
    assert 'onnxruntime_max_abs_diff' not in result


def test_a_wrong_stock_model_is_caught():
    ours = build(fused=True)
    stock = build(fused=False)   # other random weights
    result = compare_outputs({'ours': ours, 'stock': stock}, (64, 48),
                             ours.xp)
    assert not result['agree']
