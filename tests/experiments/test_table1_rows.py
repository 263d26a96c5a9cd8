"""The rows of Table 1 (:mod:`sparsemask.experiments.table1_rows`)."""

from sparsemask.experiments import ROW_KEYS
from sparsemask.experiments import SEARCH_ROW
from sparsemask.experiments import SEARCHES
from sparsemask.experiments.table1_rows import arch_of
from sparsemask.experiments.table1_rows import fixed_row
from sparsemask.experiments.table1_rows import matched_row
from sparsemask.experiments.table1_rows import needed_searches
from sparsemask.experiments.table1_rows import new_row
from sparsemask.experiments.table1_rows import random_row
from sparsemask.experiments.table1_rows import row_variant
from sparsemask.experiments.table1_rows import searched_row

SEARCH = {'variant': 'sparse', 'seed': 0, 'arch_file': '/o/arch.yaml',
          'n_connections': 23}


def test_rows_and_their_searches():
    assert ROW_KEYS[0] == 'fcn' and ROW_KEYS[-1] == 'sparsemask_nobn'
    assert set(SEARCH_ROW) == set(SEARCHES)
    for variant, key in SEARCH_ROW.items():
        assert row_variant(key) == variant
    assert row_variant('unet') is None
    assert needed_searches(['unet', 'random', 'l1', 'sparsemask',
                            'full_small']) == ['sparse', 'l1']


def test_row_records():
    assert new_row('sparsemask') == {
        'key': 'sparsemask', 'label': 'SparseMask', 'paper_miou': 73.18,
        'arch_file': None, 'note': None}
    assert new_row('full', 'no')['note'] == 'no'
    row = fixed_row('unet')
    assert row['arch_id'] == 'unet'
    assert row['overrides'](10) == ['model.arch=unet']
    other = dict(SEARCH, seed=1, arch_file='/o/arch1.yaml')
    row = searched_row('sparsemask', [SEARCH, other])
    assert row['arch_id'] == 'sparse_search0'
    assert row['arch_file'] == '/o/arch.yaml'
    assert row['search'] == {'variant': 'sparse', 'seeds': [0, 1]}
    assert row['overrides'](11) == ['model.arch=/o/arch.yaml']
    # its trainings take the two searches in turn
    assert [arch_of(row, i)['arch_file'] for i in range(3)] == [
        '/o/arch.yaml', '/o/arch1.yaml', '/o/arch.yaml']
    assert arch_of(row, 1)['overrides'](10) == ['model.arch=/o/arch1.yaml']
    assert arch_of(row, 1)['arch_id'] == 'sparse_search1'
    assert arch_of(fixed_row('unet'), 4)['search_seed'] is None
    row = matched_row('full_small', SEARCH, 1000, 7, 990)
    assert row['arch_id'] == 'full_c7'
    assert row['matched']['channels'] == 7
    assert row['overrides'](10) == ['model.arch=full', 'model.channels=7']
    row = random_row('random', SEARCH)
    assert row['arch_id'] == 'random_n23'
    assert row['overrides'](12) == [
        'model.arch=random', 'model.random_connections=23',
        'model.random_seed=12']
    # the JSON keeps this order
    assert list(row)[:5] == ['key', 'label', 'paper_miou', 'arch_file',
                             'note']
