"""The pilot gate of a Table 1 run (:mod:`sparsemask.experiments.\
table1_pilot`): a pilot that must be refused stops the run before its
searches; one that passes lets it go on."""

import json
import os
import subprocess
import sys

import numpy
import pytest

from chainercv.evaluations import eval_semantic_segmentation

from sparsemask.experiments import run_table1
from sparsemask.experiments import table1_options
from sparsemask.experiments import table1_pilot
from sparsemask.experiments.table1_pilot import background_miou
from sparsemask.experiments.table1_pilot import PilotRefusedError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'configs', 'table1_synthetic.yaml')


def test_background_miou_against_chainercv():
    rng = numpy.random.RandomState(0)
    labels = [rng.randint(0, 3, (5, 6)).astype(numpy.int32) for _ in
              range(4)]
    dataset = [(None, lb) for lb in labels]
    expected = eval_semantic_segmentation(
        [numpy.zeros_like(lb) for lb in labels], labels)['miou']
    assert background_miou(dataset, 3) == pytest.approx(expected)
    # classes that never occur count as 0, not as missing
    assert background_miou(dataset, 4) == pytest.approx(expected)


def test_a_pilot_that_learns_nothing_refuses_the_table(tmp_path):
    # 4 iterations on 32x32 images: FCN is at background level and U-Net
    # learns no cue
    out = str(tmp_path / 'out')
    args = table1_options(CONFIG, out, quick=True, jobs=1, pilot_gate=True,
                          rows=['unet', 'sparsemask'], stability=[])
    with pytest.raises(PilotRefusedError) as e:
        run_table1(args, say=lambda t: None)
    assert 'FAIL' in str(e.value) and 'pilot.json' in str(e.value)
    with open(os.path.join(out, 'pilot.json')) as f:
        pilot = json.load(f)
    assert pilot['passed'] is False
    assert sorted(pilot['results']) == ['fcn', 'unet']
    assert all(len(r) == 3 for r in pilot['results'].values())
    # no search, grid or retraining ran
    assert sorted(os.listdir(out)) == ['pilot', 'pilot.json', 'table1.json',
                                       'table1.md']


def test_a_pilot_that_passes_lets_the_table_run(tmp_path, monkeypatch):
    # the same pilot, judged by a gate that anything passes
    real = table1_pilot.pilot_verdict

    def lenient(rows, background_miou):
        return real(rows, -1.0, cue_threshold=0.0, spread_fraction=1e9)

    monkeypatch.setattr(table1_pilot, 'pilot_verdict', lenient)
    out = str(tmp_path / 'out')
    args = table1_options(CONFIG, out, quick=True, jobs=1, pilot_gate=True,
                          rows=['unet'], stability=[])
    result = run_table1(args, say=lambda t: None)
    assert result['pilot']['passed'] is True
    assert [r['key'] for r in result['rows']] == ['unet']
    assert len(result['rows'][0]['runs']) == 3
    with open(os.path.join(out, 'table1.md')) as f:
        assert '## Pilot gate: passed' in f.read()


def test_the_script_pilot_only_exits_1_when_refused(tmp_path):
    out = str(tmp_path / 'out')
    r = subprocess.run([sys.executable, os.path.join(ROOT, 'eval',
                                                     'table1.py'),
                        '--quick', '--jobs', '1', '--pilot', '--out', out],
                       cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    assert r.returncode == 1, r.stdout
    assert 'pilot: REFUSED' in r.stdout and 'Traceback' not in r.stdout
    assert os.path.isfile(os.path.join(out, 'pilot.json'))
    assert not os.path.exists(os.path.join(out, 'table1.json'))
