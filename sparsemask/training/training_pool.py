import concurrent.futures
import contextlib
import multiprocessing
import os

from sparsemask.training.train_in_dir import train_in_dir
from sparsemask.utils.reuse_freed_memory import reuse_freed_memory

#: what makes a worker process single-threaded (read when numpy loads)
SINGLE_THREAD_ENV = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS',
                     'MKL_NUM_THREADS')


def available_cores():
    """The number of CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _single_thread_env():
    # the environment a worker must start in: one BLAS/OpenMP thread
    saved = {k: os.environ.get(k) for k in SINGLE_THREAD_ENV}
    os.environ.update({k: '1' for k in SINGLE_THREAD_ENV})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class TrainingPool(object):
    """Worker processes that run CPU trainings side by side.

    Each worker is a fresh (spawned) Python process with one BLAS/OpenMP
    thread, so ``jobs`` trainings share ``jobs`` cores without
    oversubscribing them, and a training's numbers depend only on its
    config, not on ``jobs`` or on which worker ran it. (A training run in
    the calling process with several BLAS threads may differ from it in
    the last digits, which training amplifies.) Each training runs through
    :func:`~sparsemask.training.train_in_dir.train_in_dir`: its progress
    goes to ``run_dir/train.log``.

    Args:
        jobs (int): the number of workers (>= 1).

    """

    def __init__(self, jobs):
        if jobs < 1:
            raise ValueError('jobs: expected a positive number, not '
                             '{}'.format(jobs))
        self.jobs = jobs
        with _single_thread_env():
            self._executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=jobs,
                mp_context=multiprocessing.get_context('spawn'),
                initializer=reuse_freed_memory)
            self._executor.submit(os.getpid).result()

    def run(self, trainings):
        """Runs trainings, ``jobs`` at a time.

        Args:
            trainings (list of tuple): the positional arguments of
                :func:`~sparsemask.training.train_in_dir.train_in_dir`
                each: ``(config, mode, run_dir)``, or with ``device``
                (-1) and ``confusion_split``.

        Yields:
            tuple: ``(index, status)`` of each training as it ends (in the
            order they end): its index in ``trainings`` and
            :func:`~sparsemask.training.train_in_dir.train_in_dir`'s
            status. A worker's exception is raised here.

        """
        futures = {self.submit(train_in_dir, *training): i
                   for i, training in enumerate(trainings)}
        try:
            for future in concurrent.futures.as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()

    def submit(self, fn, *args):
        """Submits one call to the workers.

        The executor starts a worker when a call is submitted and no worker
        is idle, in the environment of that moment; every submission is
        made with one BLAS/OpenMP thread in the environment, so that every
        worker has one. (Submitting outside it once gave a second worker
        several BLAS threads, and its trainings differed from the others'.)

        Args:
            fn (callable): a picklable function.
            *args: its arguments.

        Returns:
            concurrent.futures.Future: its result.

        """
        with _single_thread_env():
            return self._executor.submit(fn, *args)

    def close(self):
        """Stops the workers (a running training is waited for)."""
        self._executor.shutdown(cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
