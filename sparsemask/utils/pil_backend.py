import contextlib

import chainer


@contextlib.contextmanager
def pil_backend():
    """Makes ChainerCV's ``resize`` and ``rotate`` use PIL, whether or not
    OpenCV is installed.

    ChainerCV picks OpenCV when it can import it (the ``tasks`` extra
    brings it in) and PIL otherwise; the two interpolate differently, so a
    training or an evaluation would depend on what else is installed (seen:
    the tiny test searches diverge with one and not the other). This pins
    PIL, which every installation has.

    Yields:
        None

    """
    with chainer.using_config('cv_resize_backend', 'PIL'), \
            chainer.using_config('cv_rotate_backend', 'PIL'):
        yield
