"""The searches of Table 1 (:mod:`sparsemask.experiments.table1_searches`)."""

import os

import numpy

from sparsemask.experiments import identical_search_warnings
from sparsemask.experiments import search_spec
from sparsemask.experiments.table1_searches import unrunnable_search


def test_search_spec():
    spec = search_spec('sparse_nobn', 2)
    assert spec['rel'] == os.path.join('search', 'sparse_nobn_s2')
    assert spec['extra'] == ['train.search_loss=sparse',
                             'model.connection_bn=false', 'train.seed=2']
    assert spec['mode'] == 'search' and spec['kind'] == 'search'
    record = unrunnable_search('l1', 0, ValueError('no such\noption'))
    assert record['failed'] == 'cannot run: no such option'
    assert record['dir'] == os.path.join('search', 'l1_s0')


def test_identical_weights_are_reported(tmp_path):
    def search(variant, seed, weights):
        rel = os.path.join('search', '{}_s{}'.format(variant, seed))
        os.makedirs(str(tmp_path / rel))
        numpy.savez(str(tmp_path / rel / 'connection_weights.npz'),
                    stage1=numpy.array(weights))
        return (variant, seed), {'dir': rel, 'failed': None}

    searches = dict([search('sparse', 0, [0.0, 1.0]),
                     search('l1', 0, [0.0, 1.0]),
                     search('topk', 0, [0.5, 1.0]),
                     search('sparse_nobn', 1, [0.0, 1.0])])
    warnings = identical_search_warnings(searches, str(tmp_path))
    assert warnings == [
        'the searches l1 and sparse with seed 0 ended with identical '
        'connection weights: was train.search_loss=l1 / '
        'train.search_loss=sparse ignored?']
