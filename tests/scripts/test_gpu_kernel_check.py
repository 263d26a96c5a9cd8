"""scripts/gpu_kernel_check.py: its CPU rehearsal (``--emulate``).

The script is what a lent GPU machine runs, once, with its own Python
(NumPy 2, CuPy 14, PyTorch; no Chainer). Here the same script runs with the
CUDA kernels compiled by g++ and emulated on the CPU, with Chainer made
unimportable, and every stage's shapes and errors are checked in its JSON,
so that a typo cannot waste a lent GPU.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from sparsemask import Connectivity
from tests.functions.test_kernels_without_chainer import blocked_chainer_env
from tests.load_script import load_script

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'scripts', 'gpu_kernel_check.py')

check = load_script('scripts/gpu_kernel_check.py')

PAPER = ['D8', 'D7', 'D6', 'D1']
FULL = ['D{}'.format(k) for k in range(9, 0, -1)]


def _run(tmp_path, *args):
    out = tmp_path / 'out'
    proc = subprocess.run(
        [sys.executable, SCRIPT, '--emulate', '--out', str(out)]
        + list(args), capture_output=True, text=True, cwd=str(tmp_path),
        env=blocked_chainer_env(tmp_path), timeout=600)
    result = None
    if (out / check.JSON_NAME).exists():
        result = json.loads((out / check.JSON_NAME).read_text())
    return proc, result, out


@pytest.fixture(scope='module')
def rehearsal(tmp_path_factory):
    if shutil.which('g++') is None:
        pytest.skip('g++ is not installed: cannot emulate the kernels')
    tmp = tmp_path_factory.mktemp('gpu_kernel_check')
    return _run(tmp, '--budget-s', '300')


def test_rehearsal_passes_and_writes_json_and_table(rehearsal):
    proc, result, out = rehearsal
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert result['ok'] and result['failures'] == []
    assert result['mode'] == 'emulate'
    assert os.path.getsize(out / check.JSON_NAME) < 16 * 2 ** 20
    table = (out / check.TEXT_NAME).read_text()
    assert table.startswith('gpu_kernel_check (emulate)')
    assert table in proc.stdout  # printed at the end too
    # Chainer was blocked and never needed
    env = result['environment']
    assert env['chainer_imported'] is False
    assert env['kernels_package'] == os.path.join(ROOT, 'kernels')


def test_rehearsal_checks_every_stage(rehearsal):
    _, result, _ = rehearsal
    rows = result['stages']
    got = [(r['problem'], r['stage']) for r in rows]
    assert got == ([('paper', s) for s in PAPER] + [('full', s) for s in FULL]
                   + [('paper_odd', s) for s in PAPER]
                   + [('full_odd', s) for s in FULL] + [('multi_launch', 'S')])
    impls = ['fused', 'unfused']
    if 'torch' not in result['environment']['torch'] or \
            result['environment']['torch'].get('skipped'):
        assert 'not importable' in result['environment']['torch']['skipped']
        assert 'PyTorch skipped' in check.format_table(result)
    else:
        impls.append('torch_eager')
    for r in rows:
        name = '{}/{}'.format(r['problem'], r['stage'])
        N, C, H, W = r['output']
        # every implementation's output and gradients have the shapes of
        # the stage's inputs and parameters
        assert r['expected_shapes']['y'] == [N, C, H, W]
        T = len(r['inputs'])
        assert r['expected_shapes']['gx'] == [[N] + s
                                              for s in r['input_shapes']]
        assert r['expected_shapes']['gw'] == [T]
        for impl in impls:
            assert r['shapes'][impl] == r['expected_shapes'], (name, impl)
            for kind in check.GRAD_KINDS:
                e = r['errors'][impl][kind]
                assert 0 <= e <= check.STAGE_RTOL, (name, impl, kind, e)
        assert r['shapes']['kernel_forward'] == [N, C, H, W]
        assert r['shapes']['kernel_backward'] == [
            [N, C, h, w] for _, h, w in r['input_shapes']]
        assert 0 <= r['errors']['kernel_forward'] <= check.KERNEL_RTOL
        assert 0 <= r['errors']['kernel_backward'] <= check.KERNEL_RTOL
        # the emulated kernels are float32: errors are rounding, not zero
        assert r['errors']['kernel_forward'] > 0
        assert r['forward_launches'] == max(
            1, -(-len(r['groups']['resized']) // 4))


def test_rehearsal_times_and_measures_bandwidth(rehearsal):
    _, result, _ = rehearsal
    timed = [r for r in result['stages'] if 'speed' in r]
    assert [(r['problem'], r['stage']) for r in timed] == (
        [('paper', s) for s in PAPER] + [('full', s) for s in FULL])
    assert result['copy_bandwidth']['copy_GBps'] > 0
    for r in timed:
        s = r['speed']
        for mode in ('forward_ms', 'forward_backward_ms'):
            assert s[mode]['fused'] > 0 and s[mode]['unfused'] > 0
            assert s['ratios']['unfused/fused ' + mode[:-3]] == \
                pytest.approx(s[mode]['unfused'] / s[mode]['fused'])
        bw = s['bandwidth']
        assert bw['forward_kernel']['bytes'] > 0
        assert 0 < bw['forward_kernel']['fraction_of_copy']
        assert ('backward_kernels' in bw) == bool(r['groups']['resized'])


def test_rehearsal_reports_each_tool_or_why_not(rehearsal):
    _, result, _ = rehearsal
    tools = result['tools']
    for name in ('memcheck', 'racecheck', 'ncu'):
        t = tools[name]
        # no GPU here: skipped with a reason, and the process the tool
        # would watch ran alone
        assert t['status'] == 'skipped' and t['reason'], t
        assert t['target_without_tool']['rc'] == 0, t
        assert t['target_without_tool']['ran']['ran'], t
    if shutil.which('nvcc'):
        assert tools['ptxas']['status'] == 'ok'
        assert set(tools['ptxas']['kernels']) == {
            'fdn_stage_forward', 'fdn_stage_backward_rows',
            'fdn_stage_backward_cols'}
    else:
        assert tools['ptxas']['reason'] == 'nvcc is not on PATH'


def test_a_short_budget_drops_the_slowest_parts_first(tmp_path):
    if shutil.which('g++') is None:
        pytest.skip('g++ is not installed: cannot emulate the kernels')
    proc, result, _ = _run(tmp_path, '--budget-s', '1', '--skip', 'ptxas',
                           '--compile-stages', 'paper:D1')
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    parts = result['parts']
    for name in ('torch_compile:paper:D1', 'ncu', 'racecheck', 'memcheck',
                 'speed:full', 'correctness:multi_launch',
                 'correctness:full_odd', 'correctness:paper_odd'):
        if name == 'torch_compile:paper:D1' and \
                result['environment']['torch'].get('skipped'):
            continue  # no PyTorch: nothing to compile
        assert parts[name]['status'] == 'skipped', name
        assert parts[name]['reason'].startswith('budget'), name
    assert list(result['plan']['dropped'])[:1] in (
        ['torch_compile:paper:D1'], ['ncu'])
    # correctness at the main size is never dropped
    assert parts['correctness:paper']['status'] == 'ok'
    assert parts['correctness:full']['status'] == 'ok'
    assert {r['problem'] for r in result['stages']} == {'paper', 'full'}
    assert 'skipped ncu' in (tmp_path / 'out' / check.TEXT_NAME).read_text() \
        or 'ncu' in result['plan']['dropped']


def test_plan_at_the_real_sizes_fits_the_default_budget():
    # what a lent H100 runs: nothing dropped beforehand by the default
    # budget, and the whole estimate under the 8 minutes of the issue
    args = check.parse_args(['--out', 'x'])
    est, dropped, total = check.plan_parts(args, check.problems(args), True)
    assert args.budget_s <= 480
    assert not dropped, dropped
    assert total <= args.budget_s
    # a short budget drops torch.compile first, the last stage first
    args = check.parse_args(['--out', 'x', '--budget-s', str(total - 1)])
    _, dropped, _ = check.plan_parts(args, check.problems(args), True)
    assert list(dropped) == ['torch_compile:full:D1']


def test_architectures_are_the_projects():
    with open(os.path.join(ROOT, 'configs', 'arch',
                           'sparsemask_mobilenetv2_voc.yaml')) as f:
        paper = yaml.safe_load(f)['stages']
    assert {k: list(v) for k, v in check.PAPER_ARCH.items()} == paper
    full = Connectivity.full(9)
    arch = check.arch_full()
    assert list(arch) == FULL
    for k in range(1, 10):
        assert tuple(arch['D{}'.format(k)]) == tuple(full.inputs(k))
    # MobileNetV2 at 513x513 (TF SAME padding: ceil(513 / stride)):
    # channels and sizes of E1..E9, a 64-channel decoder, G 1280 x 1 x 1
    p = check.mobilenet_problem('full', arch, (513, 513), 16, 1, True)
    d1 = [s for s in p.stages if s.name == 'D1'][0]
    assert [(c, h, w) for n, c, h, w in d1.inputs if n[0] == 'E'] == [
        (32, 257, 257), (16, 257, 257), (24, 129, 129), (32, 65, 65),
        (64, 33, 33), (96, 33, 33), (160, 17, 17), (320, 17, 17),
        (1280, 17, 17)]
    assert d1.inputs[-1] == ('G', 1280, 1, 1)
    assert [(c, h) for n, c, h, w in d1.inputs if n[0] == 'D'] == [
        (64, 257), (64, 129), (64, 65), (64, 33), (64, 33), (64, 17),
        (64, 17), (64, 17)]
    assert d1.size == (257, 257) and p.decoder == 64


def test_emulated_sizes_keep_every_stage_structure():
    real = check.problems(check.parse_args(['--out', 'x']))
    emu = check.problems(check.parse_args(['--out', 'x', '--emulate']))
    for p, q in zip(real, emu):
        assert p.name == q.name and len(p.stages) == len(q.stages)
        for s, t in zip(p.stages, q.stages):
            a, b = check.describe_stage(s), check.describe_stage(t)
            assert a['inputs'] == b['inputs']
            assert a['groups']['full'] == b['groups']['full']
            assert a['groups']['point'] == b['groups']['point']
            assert len(a['groups']['resized']) == len(b['groups']['resized'])
            assert a['forward_launches'] == b['forward_launches']
            # the order of the input sizes is kept
            order = sorted(range(len(s.inputs)),
                           key=lambda i: (s.inputs[i][2], s.inputs[i][3]))
            assert order == sorted(
                range(len(t.inputs)),
                key=lambda i: (t.inputs[i][2], t.inputs[i][3]))
    main = [p for p in emu if p.name == 'full'][0]
    assert [p for p in real if p.name == 'full'][0].batch == 16
    assert main.stages[-1].size == (17, 17)


def test_parse_ncu_csv():
    text = '\n'.join([
        '==PROF== Connected to process 1',
        '"ID","Process ID","Process Name","Host Name","Kernel Name",'
        '"Context","Stream","Block Size","Grid Size","Device","CC",'
        '"Section Name","Metric Name","Metric Unit","Metric Value"',
        '"0","1","python3","h","fdn_stage_forward","1","7","(256, 1, 1)",'
        '"(259, 31, 1)","0","9.0","Command line profiler metrics",'
        '"launch__registers_per_thread","register/thread","56"',
        '"0","1","python3","h","fdn_stage_forward","1","7","(256, 1, 1)",'
        '"(259, 31, 1)","0","9.0","Command line profiler metrics",'
        '"dram__bytes.sum.per_second","byte/second","2,512,000,000,000"',
        '"1","1","python3","h","fdn_stage_backward_rows(const float *)",'
        '"1","7","(256, 1, 1)","(1, 1, 1)","0","9.0","x",'
        '"launch__registers_per_thread","register/thread","32"',
        '"2","1","python3","h","fdn_stage_forward","1","7","(256, 1, 1)",'
        '"(259, 31, 1)","0","9.0","x","launch__registers_per_thread",'
        '"register/thread","99"',
    ])
    got = check.parse_ncu_csv(text)
    assert got == {
        'fdn_stage_forward': {'launch__registers_per_thread': 56.0,
                              'dram__bytes.sum.per_second': 2.512e12},
        'fdn_stage_backward_rows': {'launch__registers_per_thread': 32.0}}
    assert check.parse_ncu_csv('==ERROR== ERR_NVGPUCTRPERM') == {}


FAKE_SANITIZER = r'''#!/usr/bin/env bash
# compute-sanitizer's stand-in: runs the target (what follows the options)
# and prints the tool's summary
tool=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tool) tool=$2; shift 2 ;;
    --*) shift 2 ;;
    *) break ;;
  esac
done
echo "========= COMPUTE-SANITIZER"
"$@"; rc=$?
if [ "$tool" = racecheck ]; then
  echo "========= RACECHECK SUMMARY: 0 hazards displayed" \
    "(0 errors, 0 warnings)"
else
  echo "========= ERROR SUMMARY: ${FAKE_ERRORS:-0} errors"
fi
exit $rc
'''

FAKE_NCU = r'''#!/usr/bin/env bash
# ncu's stand-in: rejects --metrics when FAKE_NCU_NO_METRICS is set (as an
# ncu that lacks one of them), runs the target, prints CSV rows
mode=""
while [ $# -gt 0 ]; do
  case "$1" in
    --csv) shift ;;
    --metrics) mode=metrics; shift 2 ;;
    --section) mode=section; shift 2 ;;
    --*|-k|-c) shift 2 ;;
    *) break ;;
  esac
done
if [ "$mode" = metrics ] && [ -n "${FAKE_NCU_NO_METRICS:-}" ]; then
  echo "==ERROR== Failed to find metric dram__bytes.sum.per_second"; exit 1
fi
"$@" || exit $?
printf '"ID","Process ID","Process Name","Host Name","Kernel Name",'
printf '"Context","Stream","Block Size","Grid Size","Device","CC",'
printf '"Section Name","Metric Name","Metric Unit","Metric Value"\n'
row() {
  printf '"%s","1","python","h","%s","1","7","(32, 1, 1)",' "$1" "$2"
  printf '"(4, 4, 1)","0","9.0","%s","%s","%s","%s"\n' "$3" "$4" "$5" "$6"
}
i=0
for k in fdn_stage_forward fdn_stage_backward_rows fdn_stage_backward_cols
do
  if [ "$mode" = metrics ]; then
    row $i $k "Command line profiler metrics" \
      launch__registers_per_thread register/thread 40
    row $i $k "Command line profiler metrics" \
      dram__bytes.sum.per_second byte/second 1,000,000,000
  else
    row $i $k LaunchStats "Registers Per Thread" register/thread 40
  fi
  i=$((i + 1))
done
'''


def _fake_tools(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name, text in (('compute-sanitizer', FAKE_SANITIZER),
                       ('ncu', FAKE_NCU)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return str(bin_dir)


def _run_with_tools(tmp_path, **env_extra):
    out = tmp_path / 'out'
    env = blocked_chainer_env(tmp_path)
    env['PATH'] = _fake_tools(tmp_path) + os.pathsep + env['PATH']
    env.update(env_extra)
    proc = subprocess.run(
        [sys.executable, SCRIPT, '--emulate', '--emulate-tools', '--out',
         str(out), '--skip', 'torch', '--skip', 'ptxas', '--skip', 'speed',
         '--odd-batch', '1'], capture_output=True, text=True,
        cwd=str(tmp_path), env=env, timeout=600)
    return proc, json.loads((out / check.JSON_NAME).read_text())


def test_tools_are_run_on_the_target_and_their_summaries_read(tmp_path):
    # the branch a lent GPU takes, with stand-ins for the tools: their
    # command lines, the target process, and the parsing of their output
    if shutil.which('g++') is None:
        pytest.skip('g++ is not installed: cannot emulate the kernels')
    proc, result = _run_with_tools(tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    tools = result['tools']
    assert tools['memcheck']['status'] == 'ok'
    assert tools['memcheck']['errors'] == 0
    assert '--tool memcheck' in tools['memcheck']['command']
    assert tools['racecheck']['status'] == 'ok'
    assert tools['racecheck']['hazards'] == 0
    # the target ran the small stages under the tool
    ran = tools['memcheck']['ran']['ran']
    assert [r['stage'] for r in ran] == ['D1', 'S'] and all(
        r['finite'] for r in ran)
    ncu = tools['ncu']
    assert ncu['status'] == 'ok' and '--metrics' in ncu['command']
    assert set(ncu['kernels']) == {'fdn_stage_forward',
                                   'fdn_stage_backward_rows',
                                   'fdn_stage_backward_cols'}
    m = ncu['kernels']['fdn_stage_forward']
    assert m['launch__registers_per_thread'] == 40.0
    assert m['dram_fraction_of_copy'] == pytest.approx(
        1.0 / result['copy_bandwidth']['copy_GBps'])
    assert 'forward regs=40' in (tmp_path / 'out' /
                                 check.TEXT_NAME).read_text()


def test_tool_errors_fail_the_run_and_ncu_falls_back_to_sections(tmp_path):
    if shutil.which('g++') is None:
        pytest.skip('g++ is not installed: cannot emulate the kernels')
    proc, result = _run_with_tools(tmp_path, FAKE_ERRORS='3',
                                   FAKE_NCU_NO_METRICS='1')
    assert proc.returncode == 1
    assert result['tools']['memcheck']['status'] == 'failed'
    assert result['tools']['memcheck']['errors'] == 3
    assert any(f.startswith('memcheck:') for f in result['failures'])
    ncu = result['tools']['ncu']
    assert ncu['status'] == 'ok' and '--section' in ncu['command']
    assert ncu['first_attempt']['rc'] == 1
    assert ncu['kernels']['fdn_stage_backward_cols'] == {
        'Registers Per Thread': 40.0}
