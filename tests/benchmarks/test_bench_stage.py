import numpy
import pytest

from sparsemask.benchmarks import bench_stage
from sparsemask.benchmarks import format_stage_report
from sparsemask.benchmarks import run_stage_benchmark
from sparsemask.benchmarks import stage_inputs
from sparsemask.benchmarks.stage_inputs import DECODER


def test_stage_inputs_of_the_full_fdn():
    rng = numpy.random.RandomState(0)
    names, shapes, xs = stage_inputs(9, 2, numpy, rng)
    # the last stage reads E9 and G (1x1, the global pool)
    assert list(names) == ['E9', 'G']
    assert shapes == [(1280, 17, 17), (1280, 1, 1)]
    assert [x.shape for x in xs] == [(2,) + s for s in shapes]
    names, shapes, _ = stage_inputs(1, 1, numpy, rng)
    assert len(names) == 18
    assert (DECODER, 17, 17) in shapes   # D9


@pytest.mark.parametrize('mode', ['search', 'retrain'])
def test_bench_stage_row(mode):
    rng = numpy.random.RandomState(0)
    row = bench_stage(9, 2, numpy, 1, rng, mode)
    assert row['stage'] == 9 and row['mode'] == mode
    assert row['inputs'] == 2 and row['output'] == [17, 17]
    for key in ('forward', 'forward_backward'):
        assert row[key + '_speedup'] == pytest.approx(
            row['unfused_{}_s'.format(key)] / row['fused_{}_s'.format(key)])
    assert row['fused_peak_bytes'] > 0 and row['unfused_peak_bytes'] > 0
    assert row['peak_memory_ratio'] == pytest.approx(
        row['fused_peak_bytes'] / row['unfused_peak_bytes'])
    # E9 (17x17) and G (1x1) read once, the 17x17 output written once
    assert row['kernel_min_bytes'] == 4 * 2 * DECODER * (289 + 1 + 289)
    assert 'kernel_forward_s' not in row   # GPU only


def test_run_and_format_stage_benchmark():
    result = run_stage_benchmark(numpy, 'cpu: test', 2, 1, stages=[9],
                                 modes=['retrain'])
    assert {k: v for k, v in result.items() if k != 'stages'} == {
        'device': 'cpu: test', 'batch': 2, 'repeat': 1, 'input_size': 513,
        'backbone': 'MobileNetV2'}
    assert [(r['mode'], r['stage']) for r in result['stages']] == [
        ('retrain', 9)]
    lines = format_stage_report(result).splitlines()
    assert lines[0] == ('device: cpu: test, batch 2, median of 1 repeats, '
                        'MobileNetV2 FDN at 513x513')
    assert lines[1].split()[:4] == ['mode', 'stage', 'inputs', 'out']
    assert lines[2].split()[:4] == ['retrain', '9', '2', '17x17']
    assert len(lines) == 3


def test_stage_report_with_kernel_bandwidth():
    row = {'mode': 'search', 'stage': 1, 'inputs': 18, 'output': [257, 257],
           'fused_forward_s': 1.0, 'unfused_forward_s': 2.0,
           'forward_speedup': 2.0, 'fused_forward_backward_s': 1.0,
           'unfused_forward_backward_s': 3.0,
           'forward_backward_speedup': 3.0, 'fused_peak_bytes': 2 ** 20,
           'unfused_peak_bytes': 2 ** 21, 'peak_memory_ratio': 0.5,
           'copy_bandwidth_GBps': 1000.0}
    for key, t in (('kernel', 'kernel_forward_s'),
                   ('accumulate', 'accumulate_s'),
                   ('kernel_backward', 'kernel_backward_s')):
        row[t] = 0.002
        row[key + '_bandwidth_GBps'] = 500.0
        row[key + '_bandwidth_fraction'] = 0.5
    text = format_stage_report({'device': 'GPU', 'batch': 16, 'repeat': 20,
                                'stages': [row]})
    lines = text.splitlines()
    assert '1.0MB' in lines[2] and '2.0MB' in lines[2]
    assert lines[3] == '      copy bandwidth 1000.0 GB/s'
    assert lines[4].split() == ['forward', 'kernel', '2.000', 'ms', '500.0',
                                'GB/s', '(50%', 'of', 'copy)']
    assert len(lines) == 7
