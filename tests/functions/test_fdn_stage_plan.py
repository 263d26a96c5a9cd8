"""The grouping and the kernel tables of one FDN stage (StagePlan)."""

import numpy
import pytest

import chainer.functions as F

from sparsemask.functions.fdn_stage_plan import interpolation_axis
from sparsemask.functions.fdn_stage_plan import interpolation_matrix
from sparsemask.functions.fdn_stage_plan import stage_plan


# MobileNetV2 FDN stage 1 at a 513 input: E1..E9, G, D2..D9
STAGE_1 = ([(257, 257)] * 2 + [(129, 129), (65, 65)] + [(33, 33)] * 2
           + [(17, 17)] * 3 + [(1, 1)] + [(257, 257), (129, 129), (65, 65)]
           + [(33, 33)] * 2 + [(17, 17)] * 3)


def test_stage_1_groups():
    plan = stage_plan(STAGE_1, (257, 257))
    assert plan.full == [0, 1, 10]
    assert plan.point == [9]
    assert plan.resized == [((129, 129), [2, 11]), ((65, 65), [3, 12]),
                            ((33, 33), [4, 5, 13, 14]),
                            ((17, 17), [6, 7, 8, 15, 16, 17])]
    # 14 resized inputs, 4 interpolations
    assert sum(len(ts) for _, ts in plan.resized) == 14


def test_plans_are_memoized():
    a = stage_plan([(3, 4), (1, 1)], (5, 6))
    # shapes from arrays (NumPy integers) find the same plan
    assert stage_plan([(numpy.int64(3), 4), (1, 1)],
                      (5, numpy.int64(6))) is a
    assert stage_plan([(3, 4)], (5, 6)) is not a


def test_a_1x1_output_counts_1x1_inputs_as_output_sized():
    plan = stage_plan([(1, 1), (3, 3)], (1, 1))
    assert plan.full == [0] and plan.point == []
    assert plan.resized == [((3, 3), [1])]


@pytest.mark.parametrize('n_out, n_in', [(7, 3), (3, 7), (1, 5), (5, 1),
                                         (1, 1), (257, 17), (17, 257)])
def test_axis_tables_rebuild_the_interpolation_matrix(n_out, n_in):
    i0, i1, f = interpolation_axis(n_out, n_in)
    m = numpy.zeros((n_out, n_in))
    for o in range(n_out):
        m[o, i0[o]] += 1 - f[o]
        m[o, i1[o]] += f[o]
    numpy.testing.assert_allclose(
        m, interpolation_matrix(n_out, n_in, numpy.float64), atol=0)
    assert ((0 <= f) & (f < 1)).all()
    assert ((0 <= i0) & (i0 <= i1) & (i1 < n_in)).all()


@pytest.mark.parametrize('size, sizes', [
    ((257, 257), STAGE_1),
    ((7, 9), [(7, 9), (4, 5), (1, 1), (3, 2), (9, 12), (4, 5)]),
    ((1, 9), [(1, 4), (1, 13), (1, 1)]),
    ((9, 1), [(4, 1), (3, 2)]),
    ((1, 1), [(4, 5), (1, 1)]),
])
def test_kernel_tables_are_the_interpolation_matrices(size, sizes):
    H, W = size
    plan = stage_plan(sizes, size)
    t = plan.tables()
    G = len(plan.resized)
    assert t['low_sizes'].tolist() == [list(hw) for hw, _ in plan.resized]
    for g, ((h, w), _) in enumerate(plan.resized):
        # forward: per output row and column, two indices and a weight
        for n_out, n_in, tab, frac in ((H, h, t['ytab'], t['yfrac']),
                                       (W, w, t['xtab'], t['xfrac'])):
            m = numpy.zeros((n_out, n_in))
            rows = numpy.arange(n_out)
            numpy.add.at(m, (rows, tab[g, 0]), 1 - frac[g].astype(float))
            numpy.add.at(m, (rows, tab[g, 1]), frac[g].astype(float))
            numpy.testing.assert_allclose(
                m, interpolation_matrix(n_out, n_in, numpy.float64),
                atol=1e-7)

    def dense(ptr, idx, w, n_cols):
        m = numpy.zeros((len(ptr) - 1, n_cols))
        for r in range(len(ptr) - 1):
            for k in range(ptr[r], ptr[r + 1]):
                m[r, idx[k]] += w[k]
        return m

    # backward: the transposed matrices of every group, stacked, in CSR
    row = dense(t['row_ptr'], t['row_idx'], t['row_w'], H)
    col = dense(t['col_ptr'], t['col_idx'], t['col_w'], W)
    assert t['R'] == row.shape[0] == sum(h for (h, w), _ in plan.resized)
    for g, ((h, w), _) in enumerate(plan.resized):
        r0, c0 = t['row_off'][g], t['col_off'][g]
        numpy.testing.assert_allclose(
            row[r0:r0 + h], interpolation_matrix(H, h, numpy.float64).T,
            atol=1e-7)
        numpy.testing.assert_allclose(
            col[c0:c0 + w], interpolation_matrix(W, w, numpy.float64).T,
            atol=1e-7)
        assert t['elem_off'][g + 1] - t['elem_off'][g] == h * w
    assert len(t['elem_off']) == G + 1 and t['elem_off'][0] == 0
    # no stored zero: a weight of 0 (an exact grid point) is left out
    assert (t['row_w'] != 0).all() and (t['col_w'] != 0).all()


def test_interpolation_matrix_is_resize_images_on_a_downsized_input():
    # the stage also takes inputs larger than its output
    x = numpy.random.RandomState(0).randn(1, 1, 13, 11).astype(numpy.float32)
    ref = F.resize_images(x, (7, 4)).array[0, 0]
    got = (interpolation_matrix(7, 13) @ x[0, 0]
           @ interpolation_matrix(4, 11).T)
    numpy.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('rows', [1, 3, 32, 100])
@pytest.mark.parametrize('size,sizes', [
    ((33, 20), [(1, 1), (5, 4), (17, 10), (33, 20), (5, 4)]),
    ((9, 9), [(9, 9), (1, 1)]),
    ((16, 12), [(3, 2)]),
])
def test_row_bands_are_the_dense_height_resizing(size, sizes, rows):
    # the bands (only the columns each band reads) give the product with
    # the whole of ry_bias, in float64
    plan = stage_plan(sizes, size)
    _, ry_bias, _ = plan.matrices(numpy.float64)
    stacked = numpy.random.RandomState(0).randn(2, ry_bias.shape[1], 7)
    dense = numpy.matmul(ry_bias, stacked)
    banded = numpy.full_like(dense, numpy.nan)
    covered = []
    for o0, o1, cols, m in plan.row_bands(numpy.float64, rows):
        assert 0 < o1 - o0 <= rows
        # every column it leaves out is zero in those rows
        rest = numpy.setdiff1d(numpy.arange(ry_bias.shape[1]), cols)
        assert not ry_bias[o0:o1][:, rest].any()
        banded[:, o0:o1] = numpy.matmul(m, stacked[:, cols])
        covered.extend(range(o0, o1))
    assert covered == list(range(size[0]))
    numpy.testing.assert_allclose(banded, dense, rtol=1e-12, atol=1e-12)
    # the bias column of ones is read by every band
    assert all(ry_bias.shape[1] - 1 in b[2]
               for b in plan.row_bands(numpy.float64, rows))
