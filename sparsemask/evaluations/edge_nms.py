import numpy

from sparsemask.evaluations._quiet_import import import_py_edge_eval


def edge_nms(prob):
    """The standard non-maximum suppression of edge maps (Dollar's
    ``edgesNms``: ``r=1, s=5, m=1.01``), by pyEdgeEval's ``fast_nms``.

    The map is smoothed by a triangle filter of radius 1, the edge
    orientations are estimated from its second derivatives, and every pixel
    that is not a maximum across its edge (up to the factor ``m``) is
    zeroed, which thins the edges to about one pixel, as BSDS500 evaluation
    and figures expect; the pixels within 5 of the border are damped
    linearly (to 0 on the border).

    Args:
        prob (numpy.ndarray): ``(H, W)`` float edge map in [0, 1] (float32
            and float64 go to ``fast_nms`` as they are, other float types as
            float64).

    Returns:
        numpy.ndarray: ``(H, W)`` float32, the suppressed edge map.

    Raises:
        ImportError: when pyEdgeEval (the ``tasks`` extra) is missing.
        ValueError: for a map that is not ``(H, W)`` or not of a float
            type.

    """
    try:
        import_py_edge_eval()
        from pyEdgeEval.preprocess import fast_nms
    except ImportError as e:
        raise ImportError(
            'the edge NMS needs pyEdgeEval, an optional extra: '
            'pip install -e ".[tasks]" ({})'.format(e)) from e
    prob = numpy.asarray(prob)
    if prob.ndim != 2:
        raise ValueError('an edge map is (H, W), not {}'.format(prob.shape))
    if prob.dtype.kind != 'f':
        raise ValueError('an edge map is float, not {}'.format(prob.dtype))
    if prob.dtype not in (numpy.float32, numpy.float64):
        prob = prob.astype(numpy.float64)
    out = fast_nms(img=prob, r=1, s=5, m=1.01, half_prec=False)
    return numpy.asarray(out, dtype=numpy.float32)
