"""Run in TrainingPool workers by test_training_pool.py."""

import os
import time


def thread_env(delay):
    # what a worker's BLAS read when numpy loaded in it
    time.sleep(delay)
    return os.getpid(), os.environ.get('OPENBLAS_NUM_THREADS')
