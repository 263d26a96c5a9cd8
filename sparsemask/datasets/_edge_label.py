"""The edge training target of HED and RCF, from the boundary maps of
several annotators; shared by the BSDS500 and synthetic edge data sets."""

import numbers

import numpy


def check_eta(eta):
    """Checks the agreement threshold of :func:`edge_label`.

    Args:
        eta (float): the threshold.

    Returns:
        float: ``eta``.

    Raises:
        ValueError: if ``eta`` is not a number in (0, 1].

    """
    if isinstance(eta, bool) or not isinstance(eta, numbers.Real) or \
            not 0 < eta <= 1:
        raise ValueError('eta must be a number in (0, 1], the fraction of '
                         'annotators that must mark a pixel for it to be an '
                         'edge; not {!r}'.format(eta))
    return float(eta)


def edge_label(boundaries, eta=0.5):
    """The training target of HED/RCF from ``K`` annotators' boundaries.

    With ``p`` the mean of the ``K`` maps (the fraction of annotators that
    marked a pixel), a pixel is:

    * ``1`` (edge) where ``p >= eta``;
    * ``0`` (non-edge) where ``p == 0`` (no annotator marked it);
    * ``-1`` (ignored by the loss) where ``0 < p < eta``: some annotators,
      too few, marked it.

    Args:
        boundaries (sequence of numpy.ndarray): ``K >= 1`` maps of shape
            ``(H, W)``, 1 on boundary pixels and 0 elsewhere.
        eta (float): the threshold, in (0, 1].

    Returns:
        numpy.ndarray: the int32 label, shape ``(H, W)``, values in
        {-1, 0, 1}.

    Raises:
        ValueError: if there is no map or ``eta`` is out of range.

    """
    eta = check_eta(eta)
    if len(boundaries) == 0:
        raise ValueError('an edge label needs the boundaries of at least '
                         'one annotator')
    p = numpy.mean([numpy.asarray(b, dtype=numpy.float64)
                    for b in boundaries], axis=0)
    label = numpy.full(p.shape, -1, dtype=numpy.int32)
    label[p == 0] = 0
    label[p >= eta] = 1
    return label
