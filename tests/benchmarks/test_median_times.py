import numpy

from sparsemask.benchmarks import median_time
from sparsemask.benchmarks import median_times
from sparsemask.benchmarks import peak_memory


def test_functions_take_turns_after_their_warmup():
    calls = []
    fns = {'a': lambda: calls.append('a'), 'b': lambda: calls.append('b')}
    times = median_times(fns, numpy, repeat=3, warmup=2)
    assert calls == ['a', 'a', 'b', 'b'] + ['a', 'b'] * 3
    for name in fns:
        median, ts = times[name]
        assert len(ts) == 3 and median == float(numpy.median(ts))


def test_median_time_of_one_function():
    calls = []
    median, ts = median_time(lambda: calls.append(1), numpy, repeat=4,
                             warmup=0)
    assert len(calls) == 4 and len(ts) == 4 and median >= 0


def test_peak_memory_of_numpy_allocations():
    kept = []

    def fn():
        numpy.ones(2 ** 20, numpy.uint8)          # freed at once
        kept.append(numpy.ones(2 ** 19, numpy.uint8))

    peak, retained = peak_memory(fn)
    assert 2 ** 20 <= peak < 2 ** 20 + 2 ** 19 + 2 ** 16
    assert 2 ** 19 <= retained < 2 ** 19 + 2 ** 16
