"""Whether a pilot lets the full Table 1 run go ahead
(:mod:`sparsemask.experiments.pilot_gate`)."""

import numpy
import pytest

from sparsemask.experiments import pilot_verdict


BACKGROUND = 0.16


def _cues(foreground=0.99, stripes=0.98, scene=0.97):
    return {'foreground': foreground, 'stripes': stripes, 'scene': scene,
            'chance': {'stripes': 0.5, 'scene': 0.5}}


def _row(mious, cues=None):
    return [{'seed': 10 + i, 'miou': m,
             'cues': (cues[i] if cues else _cues(0.9, 0.7, 0.6))}
            for i, m in enumerate(mious)]


def _rows():
    return {
        'fcn': _row([0.40, 0.41, 0.42]),
        'unet': _row([0.80, 0.81, 0.80],
                     [_cues(), _cues(0.98, 0.99, 0.975), _cues()]),
        'full': _row([0.70, 0.72, 0.71]),
    }


def _check(verdict, name):
    (check,) = [c for c in verdict['checks'] if c['name'] == name]
    return check


def test_passing_pilot():
    v = pilot_verdict(_rows(), BACKGROUND)
    assert v['passed'] is True
    assert [c['name'] for c in v['checks']] == [
        'fcn_above_background', 'unet_cues', 'unet_spread']
    assert all(c['passed'] for c in v['checks'])
    assert all(c['text'].startswith('pass ') for c in v['checks'])
    assert '0.1800' in _check(v, 'fcn_above_background')['text']
    # the lowest cue is reported
    assert 'scene 0.9700' in _check(v, 'unet_cues')['text']
    spread = _check(v, 'unet_spread')['text']
    unet = numpy.array([0.80, 0.81, 0.80])
    std = unet.std(ddof=1)
    gap = unet.mean() - 0.71     # the next row is 'full', not 'fcn'
    assert 'full' in spread
    assert '{:.4f}'.format(std) in spread
    assert '{:.4f}'.format(gap) in spread
    assert v['rows']['unet']['mean'] == pytest.approx(unet.mean())
    assert v['rows']['unet']['std'] == pytest.approx(std)
    assert v['rows']['unet']['n'] == 3
    assert v['rows']['fcn']['mean'] == pytest.approx(0.41)
    # without the 'full' row the next row is FCN
    rows = _rows()
    del rows['full']
    v = pilot_verdict(rows, BACKGROUND)
    assert v['passed'] is True
    assert 'fcn' in _check(v, 'unet_spread')['text']
    assert set(v['rows']) == {'fcn', 'unet'}


def test_fcn_at_background_level_refused():
    rows = _rows()
    rows['fcn'] = _row([0.40, 0.17, 0.42])
    v = pilot_verdict(rows, BACKGROUND)
    assert v['passed'] is False
    check = _check(v, 'fcn_above_background')
    assert check['passed'] is False
    assert check['text'].startswith('FAIL')
    # seed 11 is 0.01 below 0.16 + 0.02
    assert 'seed 11' in check['text']
    assert '0.0100' in check['text']
    assert 'seed 10' not in check['text'].split(':', 1)[1]
    assert _check(v, 'unet_cues')['passed'] is True
    # exactly at the bar is not above it
    rows['fcn'] = _row([0.40, 0.18, 0.42])
    assert _check(pilot_verdict(rows, BACKGROUND),
                  'fcn_above_background')['passed'] is False


def test_unet_scene_at_chance_refused():
    rows = _rows()
    rows['unet'][2]['cues'] = _cues(scene=0.5)
    v = pilot_verdict(rows, BACKGROUND)
    assert v['passed'] is False
    check = _check(v, 'unet_cues')
    assert check['passed'] is False
    assert 'seed 12 scene 0.5000' in check['text']
    assert 'chance 0.50' in check['text']
    assert 'stripes' not in check['text']
    assert _check(v, 'fcn_above_background')['passed'] is True
    assert _check(v, 'unet_spread')['passed'] is True
    # the foreground counts too, and a missing value fails
    rows['unet'][2]['cues'] = _cues(foreground=0.89)
    rows['unet'][0]['cues'] = dict(_cues(), stripes=None)
    text = _check(pilot_verdict(rows, BACKGROUND), 'unet_cues')['text']
    assert 'seed 12 foreground 0.8900' in text
    assert 'seed 10 stripes' in text
    # no cue accuracies at all
    rows['unet'][0]['cues'] = None
    text = _check(pilot_verdict(rows, BACKGROUND), 'unet_cues')['text']
    assert 'seed 10 has no cue accuracies' in text


def test_unet_spread_too_large_refused():
    rows = _rows()
    # std 0.04 against a gap of 0.09 to 'full': 0.04 >= 0.25 * 0.09
    rows['unet'] = _row([0.76, 0.80, 0.84], [_cues()] * 3)
    v = pilot_verdict(rows, BACKGROUND)
    assert v['passed'] is False
    check = _check(v, 'unet_spread')
    assert check['passed'] is False
    assert 'std 0.0400' in check['text']
    assert 'gap 0.0900' in check['text']
    assert 'full' in check['text']
    assert [c['passed'] for c in v['checks']] == [True, True, False]
    # a larger allowed fraction lets it through (0.04 < 0.5 * 0.09)
    assert pilot_verdict(rows, BACKGROUND, spread_fraction=0.5)['passed']


def test_missing_rows_are_failures():
    rows = _rows()
    del rows['fcn']
    rows['unet'] = []
    v = pilot_verdict(rows, BACKGROUND)
    assert v['passed'] is False
    assert not any(c['passed'] for c in v['checks'])
    assert 'no results' in _check(v, 'fcn_above_background')['text']
    assert 'no results' in _check(v, 'unet_cues')['text']
    assert 'has 0' in _check(v, 'unet_spread')['text']
    assert v['rows']['unet'] == {'mean': None, 'std': None, 'n': 0}
    # one U-Net seed is not enough for a spread; no other row either
    v = pilot_verdict({'unet': _row([0.8], [_cues()])}, BACKGROUND)
    assert 'has 1' in _check(v, 'unet_spread')['text']
    v = pilot_verdict({'unet': _row([0.8, 0.81], [_cues()] * 2)},
                      BACKGROUND)
    assert 'no other row' in _check(v, 'unet_spread')['text']
    assert _check(v, 'unet_cues')['passed'] is True
