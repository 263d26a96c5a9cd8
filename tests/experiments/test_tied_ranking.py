from sparsemask.experiments.tied_ranking import format_ranking
from sparsemask.experiments.tied_ranking import tied_ranking


def test_ties_within_the_margin_and_chains():
    values = {'FCN': 0.48, 'U-Net': 0.91, 'full FDN': 0.93,
              'searched': 0.87}
    assert tied_ranking(values, 0.03) == [['full FDN', 'U-Net'],
                                          ['searched'], ['FCN']]
    # a chain: each within the margin of the next
    assert tied_ranking(values, 0.045) == [['full FDN', 'U-Net',
                                            'searched'], ['FCN']]
    assert tied_ranking(values, None) == [['full FDN'], ['U-Net'],
                                          ['searched'], ['FCN']]
    assert format_ranking(tied_ranking(values, 0.03)) == \
        'full FDN = U-Net > searched > FCN'


def test_missing_results_come_last():
    assert tied_ranking({'a': None, 'b': 0.5}, 0.1) == [['b'], ['a']]
    assert tied_ranking({}, 0.1) == []
