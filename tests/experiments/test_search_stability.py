"""The stability study of the searches, by hand
(:mod:`sparsemask.experiments.search_stability`)."""

import pytest

from sparsemask.experiments import retrained_entry
from sparsemask.experiments import stability_retrains
from sparsemask.experiments import stability_study


def _search(seed, connections, failed=None):
    return {'seed': seed, 'failed': failed, 'loss': {'levelled': True},
            'n_connections': len(connections), 'connections': connections,
            'arch_file': 'a{}.yaml'.format(seed)}


FOUND = [_search(0, ['D1<-E1', 'D1<-G']), _search(1, ['D1<-E1']),
         _search(2, [], failed='diverged'), _search(3, ['D1<-E1', 'D9<-G'])]


def test_stability_study_by_hand():
    st = stability_study('sparse', [0, 1, 2, 3], FOUND)
    assert st['failed'] == {'2': 'diverged'}
    assert st['n_connections'] == {'0': 2, '1': 1, '3': 2}
    assert [p['seeds'] for p in st['pairwise_jaccard']] == [
        [0, 1], [0, 3], [1, 3]]
    assert [p['jaccard'] for p in st['pairwise_jaccard']] == [
        pytest.approx(1 / 2), pytest.approx(1 / 3), pytest.approx(1 / 2)]
    assert st['mean_jaccard'] == pytest.approx((1 / 2 + 1 / 3 + 1 / 2) / 3)
    assert st['selection_frequency'] == {
        'D1<-E1': 1.0, 'D1<-G': pytest.approx(1 / 3),
        'D9<-G': pytest.approx(1 / 3)}
    assert set(st['search_loss']) == {'0', '1', '2', '3'}
    assert st['retrained'] == []


def test_stability_retrains_only_when_the_row_was_tuned():
    assert stability_retrains('sparse', FOUND, None) == []
    assert stability_retrains('sparse', FOUND, {'tuned_lr': None}) == []
    retrains = stability_retrains('sparse', FOUND, {'tuned_lr': 0.01})
    assert [f['seed'] for f, _ in retrains] == [0, 1, 3]
    kwargs = retrains[2][1]
    assert kwargs['kind'] == 'stability'
    assert kwargs['arch_id'] == 'sparse_search3'
    assert kwargs['overrides'](10) == ['model.arch=a3.yaml']
    entry = retrained_entry(FOUND[0], [{'val_miou': 0.4}, {'val_miou': None},
                                       {'val_miou': 0.6}])
    assert entry['search_seed'] == 0 and entry['n_connections'] == 2
    assert entry['val_miou_mean'] == pytest.approx(0.5)
