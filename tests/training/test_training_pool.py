import os

from sparsemask.training.training_pool import TrainingPool
from tests.training.pool_probe import thread_env


def test_every_worker_starts_with_one_blas_thread():
    # the executor starts its second worker only when a call finds the
    # first busy: that worker too must start with one thread (it once
    # started with the caller's environment and trained differently)
    before = os.environ.get('OPENBLAS_NUM_THREADS')
    with TrainingPool(2) as pool:
        futures = [pool.submit(thread_env, 0.5) for _ in range(4)]
        results = [f.result() for f in futures]
    assert len({pid for pid, _ in results}) == 2
    assert {threads for _, threads in results} == {'1'}
    # and the caller's environment is left as it was
    assert os.environ.get('OPENBLAS_NUM_THREADS') == before
