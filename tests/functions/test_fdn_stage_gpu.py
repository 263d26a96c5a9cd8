"""The CuPy path of the fused FDN stage against the NumPy path (GPU only).

Run with ``pytest -m gpu`` (or ``--gpu``) on a machine with CUDA and the
``cuda``/``cuda13`` extra: a missing or broken CuPy is then a failure; in a
run that does not ask for the GPU tests they are skipped (see
:mod:`tests.gpu_util`). Real MobileNetV2 stage sizes are in
``test_fdn_stage_gpu_real_sizes.py``.
"""

import numpy
import pytest

import chainer

from sparsemask.functions import fdn_stage
from tests.functions.fdn_stage_cases import assert_close
from tests.functions.fdn_stage_cases import CASES
from tests.functions.fdn_stage_cases import degenerate_keys
from tests.functions.fdn_stage_cases import FIXED
from tests.functions.fdn_stage_cases import random_case
from tests.gpu_util import require_cupy


def _run(arrays, size, normalize, train, xp):
    to = (lambda a: xp.asarray(a))
    xs = [chainer.Variable(to(x)) for x in arrays['xs']]
    Ws = [chainer.Variable(to(W)) for W in arrays['Ws']]
    gamma, beta, w = (chainer.Variable(to(arrays[k]))
                      for k in ('gamma', 'beta', 'w'))
    mean, var = to(arrays['mean'].copy()), to(arrays['var'].copy())
    with chainer.using_config('train', train):
        y = fdn_stage(xs, Ws, size, gamma, beta, w, normalize=normalize,
                      running_mean=mean, running_var=var)
    y.grad = to(arrays['gy'])
    y.backward()
    cpu = chainer.backends.cuda.to_cpu
    out = {'y': cpu(y.array), 'gx': [cpu(v.grad) for v in xs],
           '/W': [cpu(v.grad) for v in Ws], '/w': cpu(w.grad),
           'avg': [(cpu(mean), cpu(var))] if normalize else []}
    if normalize:
        out['/gamma'], out['/beta'] = cpu(gamma.grad), cpu(beta.grad)
    return out


@pytest.mark.gpu
@pytest.mark.parametrize('case', range(len(FIXED) + len(CASES)))
@pytest.mark.parametrize('normalize', [True, False])
@pytest.mark.parametrize('train', [True, False])
def test_cupy_path_matches_numpy_path(case, normalize, train, request):
    import re
    cupy = require_cupy(request.config)
    if case < len(FIXED):
        batch, shapes, size = FIXED[case]
    else:
        batch, shapes, size, _ = random_case(CASES[case - len(FIXED)])
    rng = numpy.random.RandomState(case)
    T, C = len(shapes), 5
    arrays = dict(
        xs=[rng.randn(batch, c, h, w).astype(numpy.float32)
            for c, h, w in shapes],
        Ws=[rng.randn(C, c).astype(numpy.float32) for c, _, _ in shapes],
        gamma=rng.uniform(0.5, 1.5, (T, C)).astype(numpy.float32),
        beta=rng.uniform(-1, 1, (T, C)).astype(numpy.float32),
        w=rng.uniform(0, 1, T).astype(numpy.float32),
        mean=rng.uniform(-1, 1, (T, C)).astype(numpy.float32),
        var=rng.uniform(0.5, 2, (T, C)).astype(numpy.float32),
        gy=rng.randn(batch, C, *size).astype(numpy.float32))
    ref = _run(arrays, size, normalize, train, numpy)
    got = _run(arrays, size, normalize, train, cupy)
    loose = {re.sub(r'^/conv(\d+)/W$', r'/W\1', k)
             for k in degenerate_keys(batch, shapes, normalize, train)}
    assert_close(ref, got, loose=loose)
