"""A one-line progress bar of an evaluation."""

import time


class ProgressBar(object):
    """Prints ``[####   ] done/total images, N images/s`` on one line.

    Pass it as ``progress`` to the ``evaluate_*`` functions (on a
    terminal: it rewrites its line with ``\\r``).

    Args:
        stream (file): where to write, e.g. ``sys.stderr``.

    """

    def __init__(self, stream):
        self.stream = stream
        self.start = time.time()

    def __call__(self, done, total):
        elapsed = time.time() - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        bar = '#' * (30 * done // max(total, 1))
        self.stream.write('\r[{:<30}] {}/{} images, {:.1f} images/s'.format(
            bar, done, total, rate))
        if done == total:
            self.stream.write('\n')
        self.stream.flush()
