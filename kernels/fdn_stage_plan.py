"""How the inputs of one FDN stage are grouped, resized and summed.

NumPy only (CuPy arrays are accepted where an ``xp`` is passed): no Chainer,
so that the kernels and their launch code run with NumPy 2 and CuPy 14 on a
machine where Chainer cannot import. ``sparsemask.functions.fdn_stage_plan``
re-exports everything here.
"""

import collections
import functools

import numpy


def interpolation_axis(n_out, n_in):
    """The 1-D bilinear resizing of ``align_corners=True``, per output.

    As :func:`chainer.functions.resize_images` computes it: output ``o``
    reads inputs ``i0[o]`` and ``i1[o]`` with weights ``1 - f[o]`` and
    ``f[o]``, from ``linspace(0, n_in - 1, n_out)`` in float64.

    Args:
        n_out (int): output length.
        n_in (int): input length.

    Returns:
        tuple: ``i0``, ``i1`` (int64 arrays) and ``f`` (float64 array), each
        of length ``n_out``.

    """
    s = numpy.linspace(0, n_in - 1, num=n_out, dtype=numpy.float64)
    i0 = numpy.minimum(numpy.floor(s).astype(numpy.int64), n_in - 1)
    i1 = numpy.minimum(i0 + 1, n_in - 1)
    return i0, i1, s - i0


def interpolation_matrix(n_out, n_in, dtype=numpy.float32):
    """The (n_out, n_in) matrix of 1-D bilinear resizing, align_corners=True.

    Row ``o`` holds the weights of output ``o`` over the inputs (see
    :func:`interpolation_axis`). Rows sum to one.

    Args:
        n_out (int): output length.
        n_in (int): input length.
        dtype: the dtype of the result.

    Returns:
        numpy.ndarray

    """
    i0, i1, f = interpolation_axis(n_out, n_in)
    m = numpy.zeros((n_out, n_in), dtype=numpy.float64)
    rows = numpy.arange(n_out)
    numpy.add.at(m, (rows, i0), 1 - f)
    numpy.add.at(m, (rows, i1), f)
    return m.astype(dtype)


#: output rows per band of :meth:`StagePlan.row_bands`
ROWS_PER_BAND = 32


def _csr(matrices):
    # the rows of the matrices stacked, in CSR form (float32 weights)
    m = numpy.concatenate(matrices, axis=0)
    rows, cols = numpy.nonzero(m)
    ptr = numpy.zeros(m.shape[0] + 1, dtype=numpy.int32)
    numpy.cumsum(numpy.bincount(rows, minlength=m.shape[0]), out=ptr[1:])
    return (ptr, cols.astype(numpy.int32),
            m[rows, cols].astype(numpy.float32))


class StagePlan(object):
    """How the inputs of one FDN stage are resized and summed.

    Inputs are grouped by spatial size. Resizing is linear, so the inputs
    of one size are scaled and summed at their own resolution (a group
    sum) and each group is resized once. Three kinds of groups:

    - ``full``: inputs already at the output size, added as they are;
    - ``point``: 1x1 inputs (when the output is larger), constants after
      resizing, folded with the BN shift into one bias per (n, c);
    - ``resized``: every other size, bilinearly resized.

    The plan holds what both implementations need, computed once per
    (input sizes, output size): the interpolation matrices of the NumPy
    path, and the index/weight tables of the CUDA kernels (per output row
    and column for the forward, transposed CSR matrices for the backward).
    Use :func:`stage_plan`, which memoizes plans.

    Args:
        sizes (tuple of tuple): ``(h_t, w_t)`` of each input.
        size (tuple of int): ``(H, W)`` of the output.

    """

    def __init__(self, sizes, size):
        H, W = size
        self.size = (H, W)
        groups = collections.OrderedDict()
        for t, hw in enumerate(sizes):
            groups.setdefault(tuple(hw), []).append(t)
        self.full = groups.pop((H, W), [])
        self.point = groups.pop((1, 1), [])
        #: [((h, w), [t, ...]), ...] in first-seen order
        self.resized = list(groups.items())
        self._matrices = {}
        self._bands = {}
        self._tables = None
        self._device_tables = {}

    @staticmethod
    def scaled_sum(zs, scale, ts):
        """``sum_t scale_t * z_t`` over the inputs ``ts`` of one group.

        Args:
            zs (list of array): ``(N, C, h_t, w_t)`` each.
            scale (array): ``(T, C)``.
            ts (list of int): the inputs, all of one size.

        Returns:
            array: ``(N, C, h, w)``, a new array.

        """
        z = zs[ts[0]] * scale[ts[0]][None, :, None, None]
        for t in ts[1:]:
            z += zs[t] * scale[t][None, :, None, None]
        return z

    def bias(self, xp, zs, scale, shift):
        """``shift + sum_t scale_t * z_t`` over the 1x1 inputs: ``(N, C)``."""
        N = zs[0].shape[0]
        b = xp.broadcast_to(shift[None, :], (N, shift.shape[0]))
        for t in self.point:
            b = b + scale[t][None, :] * zs[t][:, :, 0, 0]
        return xp.ascontiguousarray(b)

    def matrices(self, dtype):
        """The NumPy path's interpolation matrices.

        Returns:
            tuple: ``ry`` ``(H, R)``, the row matrices of the resized groups
            side by side (``R = sum h_g``); ``ry_bias`` ``(H, R + 1)``, the
            same with a column of ones (for the bias row); and ``rxs``, the
            transposed column matrix ``(w_g, W)`` of each resized group.

        """
        dtype = numpy.dtype(dtype)
        if dtype not in self._matrices:
            H, W = self.size
            rys = [interpolation_matrix(H, h, dtype)
                   for (h, w), _ in self.resized]
            ry_bias = numpy.concatenate(rys + [numpy.ones((H, 1), dtype)],
                                        axis=1)
            rxs = [interpolation_matrix(W, w, dtype).T
                   for (h, w), _ in self.resized]
            self._matrices[dtype] = (ry_bias[:, :-1], ry_bias, rxs)
        return self._matrices[dtype]

    def row_bands(self, dtype, rows=ROWS_PER_BAND):
        """The NumPy forward's height resizing, a band of output rows at a
        time.

        Each output row reads two rows of each resized group and the bias
        row, so a band of ``rows`` output rows reads a few rows of the
        stacked groups: it is one product of the band's rows of ``ry_bias``
        restricted to those columns and the gathered rows, instead of a
        product with the whole of ``ry_bias`` (whose other columns are
        zeros).

        Args:
            dtype: the dtype of the matrices.
            rows (int): output rows per band.

        Returns:
            list of tuple: ``(o0, o1, cols, m)`` per band: the output rows
            ``o0:o1``, the columns ``cols`` (int64) of ``ry_bias`` they
            read and ``m = ry_bias[o0:o1][:, cols]``.

        """
        key = (numpy.dtype(dtype), int(rows))
        if key not in self._bands:
            _, ry_bias, _ = self.matrices(dtype)
            H = self.size[0]
            bands = []
            for o0 in range(0, H, rows):
                o1 = min(H, o0 + rows)
                block = ry_bias[o0:o1]
                cols = numpy.flatnonzero((block != 0).any(axis=0))
                bands.append((o0, o1, cols, numpy.ascontiguousarray(
                    block[:, cols])))
            self._bands[key] = bands
        return self._bands[key]

    def tables(self):
        """The index and weight tables of the CUDA kernels (NumPy arrays).

        Returns:
            dict: ``low_sizes`` ``(G, 2)``, ``ytab`` ``(G, 2, H)``,
            ``yfrac`` ``(G, H)``, ``xtab`` ``(G, 2, W)``, ``xfrac``
            ``(G, W)`` for the forward; for the backward, the stacked
            transposed row matrices in CSR (``row_ptr``, ``row_idx``,
            ``row_w``, ``R`` rows), the same for the columns (``col_*``),
            and the offsets ``elem_off`` ``(G + 1,)``, ``row_off`` and
            ``col_off`` ``(G,)`` of each group.

        """
        if self._tables is None:
            H, W = self.size
            G = len(self.resized)
            hw = numpy.array([s for s, _ in self.resized],
                             dtype=numpy.int32).reshape(G, 2)
            ytab = numpy.zeros((G, 2, H), numpy.int32)
            xtab = numpy.zeros((G, 2, W), numpy.int32)
            yfrac = numpy.zeros((G, H), numpy.float32)
            xfrac = numpy.zeros((G, W), numpy.float32)
            for g, ((h, w), _) in enumerate(self.resized):
                i0, i1, f = interpolation_axis(H, h)
                ytab[g, 0], ytab[g, 1], yfrac[g] = i0, i1, f
                i0, i1, f = interpolation_axis(W, w)
                xtab[g, 0], xtab[g, 1], xfrac[g] = i0, i1, f
            t = dict(low_sizes=hw, ytab=ytab, yfrac=yfrac, xtab=xtab,
                     xfrac=xfrac)
            if G:
                row = _csr([interpolation_matrix(H, h, numpy.float64).T
                            for (h, w), _ in self.resized])
                col = _csr([interpolation_matrix(W, w, numpy.float64).T
                            for (h, w), _ in self.resized])
            else:
                row = col = (numpy.zeros(1, numpy.int32),
                             numpy.zeros(0, numpy.int32),
                             numpy.zeros(0, numpy.float32))
            t['row_ptr'], t['row_idx'], t['row_w'] = row
            t['col_ptr'], t['col_idx'], t['col_w'] = col
            t['R'] = int(hw[:, 0].sum())
            t['elem_off'] = numpy.concatenate(
                [[0], numpy.cumsum(hw[:, 0] * hw[:, 1])]).astype(numpy.int32)
            t['row_off'] = numpy.concatenate(
                [[0], numpy.cumsum(hw[:-1, 0])]).astype(numpy.int32)
            t['col_off'] = numpy.concatenate(
                [[0], numpy.cumsum(hw[:-1, 1])]).astype(numpy.int32)
            self._tables = t
        return self._tables

    def device_tables(self, xp):
        """:meth:`tables` on the current device of ``xp`` (cached)."""
        if xp is numpy:
            return self.tables()
        key = xp.cuda.runtime.getDevice()
        if key not in self._device_tables:
            self._device_tables[key] = {
                k: v if isinstance(v, int) else xp.asarray(v)
                for k, v in self.tables().items()}
        return self._device_tables[key]


@functools.lru_cache(maxsize=256)
def _plan(sizes, size):
    return StagePlan(sizes, size)


def stage_plan(sizes, size):
    """The memoized :class:`StagePlan` of these input and output sizes.

    Args:
        sizes (list of tuple): ``(h_t, w_t)`` of each input.
        size (tuple of int): ``(H, W)``.

    Returns:
        StagePlan

    """
    return _plan(tuple(tuple(int(v) for v in s) for s in sizes),
                 tuple(int(v) for v in size))
