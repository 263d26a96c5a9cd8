"""Pytest configuration shared by every test.

``--gpu`` makes the GPU tests (marker ``gpu``) mandatory: a missing or
broken CuPy/CUDA is then a failure, not a skip. ``-m gpu`` (any marker
expression that selects ``gpu`` other than as ``not gpu``) does the same.
See :mod:`tests.gpu_util`.
"""


def pytest_addoption(parser):
    parser.addoption(
        '--gpu', action='store_true', default=False,
        help='the GPU tests must run: a broken or missing CuPy/CUDA is a '
             'failure, not a skip (also implied by -m gpu)')
