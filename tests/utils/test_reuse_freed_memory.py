import importlib
import subprocess
import sys
import textwrap

import pytest

module = importlib.import_module('sparsemask.utils.reuse_freed_memory')

# in a fresh process: how many bytes of a freed 16 MB array the heap keeps
# (glibc's mallinfo2: free bytes in the arena), with or without the call
SCRIPT = textwrap.dedent('''
    import ctypes, ctypes.util, sys
    import numpy
    from sparsemask.utils.reuse_freed_memory import reuse_freed_memory

    class Info(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            'arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks',
            'fsmblks', 'uordblks', 'fordblks', 'keepcost')]

    libc = ctypes.CDLL(ctypes.util.find_library('c'))
    libc.mallinfo2.restype = Info
    applied = reuse_freed_memory() if sys.argv[1] == 'on' else None
    a = numpy.ones(4 << 20, numpy.float32)   # 16 MB
    mapped = libc.mallinfo2().hblkhd
    del a
    print(applied, mapped, libc.mallinfo2().fordblks)
''')


def _glibc_with_mallinfo2():
    import ctypes
    import ctypes.util
    if not sys.platform.startswith('linux'):
        return False
    try:
        ctypes.CDLL(ctypes.util.find_library('c')).mallinfo2
    except (OSError, AttributeError):
        return False
    return True


@pytest.mark.skipif(not _glibc_with_mallinfo2(),
                    reason='needs glibc >= 2.33 (mallinfo2)')
def test_a_freed_array_stays_in_the_heap():
    def run(mode):
        out = subprocess.run([sys.executable, '-c', SCRIPT, mode],
                             check=True, capture_output=True, text=True)
        applied, mapped, free = out.stdout.split()
        return applied, int(mapped), int(free)

    applied, mapped, free = run('on')
    assert applied == 'True'
    # the array came from the heap and its 16 MB stayed there once freed
    assert mapped < (16 << 20) <= free
    # without the call, glibc mapped the array and unmapped it
    _, mapped, free = run('off')
    assert mapped >= (16 << 20) > free


def test_once_per_process_and_nothing_elsewhere(monkeypatch):
    monkeypatch.setitem(module._state, 'applied', None)
    monkeypatch.setattr(module.sys, 'platform', 'darwin')
    assert module.reuse_freed_memory() is False
    # the first result stands
    monkeypatch.setattr(module.sys, 'platform', 'linux')
    assert module.reuse_freed_memory() is False
    monkeypatch.setitem(module._state, 'applied', None)
    calls = []
    monkeypatch.setattr(module, '_apply', lambda: calls.append(1) or True)
    assert module.reuse_freed_memory() and module.reuse_freed_memory()
    assert calls == [1] and module.reusing_freed_memory()
