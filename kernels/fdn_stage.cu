// Fused kernels of one Fully Dense Network decoder stage (SparseMask, Eq. 4):
//
//   out[n, c, y, x] = shift[c] + sum_t scale[t, c] * up_t(z_t)[n, c, y, x]
//
// z_t is the 1x1 convolution of input t at its own resolution, up_t
// bilinear resizing with align_corners=True (as chainer's resize_images),
// scale[t, c] = w_t * gamma_t[c] / sqrt(var_t[c] + eps) and shift the sum of
// the per-input BN shifts. The launch code (sparsemask/functions/
// fdn_stage.py) prepares the work so that these kernels do little more than
// move memory:
//
// - inputs are grouped by size; since resizing is linear, the inputs of one
//   group are scaled and summed at their low resolution first and the group
//   is interpolated once (a "group sum");
// - inputs already at the output size are read directly, with their scale;
// - 1x1 inputs are constants after resizing: they are folded, with the
//   shift, into one bias per (n, c) plane;
// - the interpolation indices and weights are precomputed per group, per
//   output row and per output column (float64 on the host, as
//   resize_images), so no division is left in the inner loops.
//
// The backward is the transposed interpolation of the output gradient gy,
// once per size group, done as two sparse matmuls (rows, then columns) with
// precomputed CSR tables: every output element is written by exactly one
// thread, so there is no atomic and the result is deterministic. Inputs at
// the output size reuse gy itself, 1x1 inputs get its spatial sum.
//
// Launches are 2-D: grid x (with blockIdx.x / threadIdx.x) strides over the
// elements of one (n, c) plane, grid y strides over the N * C planes, so
// each thread loads its table entries once and reuses them for every plane
// it visits. Only blockIdx/threadIdx/blockDim/gridDim and arithmetic are
// used, so tests compile this very file with g++ and run it on the CPU.

#ifndef FDN_MAX_GROUPS
#define FDN_MAX_GROUPS 4  // resized groups per forward launch (registers)
#endif

// out = bias + sum over the resized groups g of up_g(s_g)
//            + sum over the output-sized inputs f of full_scale[f, c] * z_f
// (or out += the same without the bias when accumulate != 0, for the
// second and later chunks of FDN_MAX_GROUPS groups).
//   low_ptrs:   G pointers to float arrays (NC, h_g, w_g), the group sums
//   low_sizes:  2G ints, h_g and w_g
//   ytab:       (G, 2, H) ints, the input rows i0 and i1 of output row y
//   yfrac:      (G, H) floats, the weight of row i1
//   xtab, xfrac: the same for the columns, (G, 2, W) and (G, W)
//   full_ptrs:  F pointers to float arrays (NC, H, W)
//   full_scale: (F, C) floats
//   bias:       (NC,) floats
//   out:        (NC, H, W) floats
extern "C" __global__ void fdn_stage_forward(
        const unsigned long long* low_ptrs, const int* low_sizes,
        const int* ytab, const float* yfrac,
        const int* xtab, const float* xfrac, int G,
        const unsigned long long* full_ptrs, const float* full_scale, int F,
        const float* bias, int accumulate, float* out,
        int NC, int C, int H, int W) {
    int HW = H * W;
    for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < HW;
         p += blockDim.x * gridDim.x) {
        int y = p / W;
        int x = p - y * W;
        // the four corners of (y, x) in each group's plane, and the weights
        int o00[FDN_MAX_GROUPS], o01[FDN_MAX_GROUPS];
        int o10[FDN_MAX_GROUPS], o11[FDN_MAX_GROUPS];
        int plane[FDN_MAX_GROUPS];
        float fy[FDN_MAX_GROUPS], fx[FDN_MAX_GROUPS];
#pragma unroll
        for (int g = 0; g < FDN_MAX_GROUPS; ++g) {
            if (g < G) {
                int w = low_sizes[2 * g + 1];
                plane[g] = low_sizes[2 * g] * w;
                int r0 = ytab[(2 * g) * H + y] * w;
                int r1 = ytab[(2 * g + 1) * H + y] * w;
                int c0 = xtab[(2 * g) * W + x];
                int c1 = xtab[(2 * g + 1) * W + x];
                o00[g] = r0 + c0;
                o01[g] = r0 + c1;
                o10[g] = r1 + c0;
                o11[g] = r1 + c1;
                fy[g] = yfrac[g * H + y];
                fx[g] = xfrac[g * W + x];
            }
        }
        for (int q = blockIdx.y; q < NC; q += gridDim.y) {
            long long i = (long long)q * HW + p;
            float acc = accumulate ? out[i] : bias[q];
#pragma unroll
            for (int g = 0; g < FDN_MAX_GROUPS; ++g) {
                if (g < G) {
                    const float* s = (const float*)low_ptrs[g]
                                     + (long long)q * plane[g];
                    float top = s[o00[g]] + fx[g] * (s[o01[g]] - s[o00[g]]);
                    float bot = s[o10[g]] + fx[g] * (s[o11[g]] - s[o10[g]]);
                    acc += top + fy[g] * (bot - top);
                }
            }
            int c = q % C;
            for (int f = 0; f < F; ++f) {
                acc += full_scale[f * C + c] * ((const float*)full_ptrs[f])[i];
            }
            out[i] = acc;
        }
    }
}

// The row pass of the transposed interpolation, for every resized group at
// once: rows[q, r, x] = sum_k row_w[k] * gy[q, row_idx[k], x] over the CSR
// row r (k in [row_ptr[r], row_ptr[r + 1])) of the stacked transposed row
// interpolation matrices (R = sum of the groups' heights).
//   gy:   (NC, H, W) floats
//   rows: (NC, R, W) floats
extern "C" __global__ void fdn_stage_backward_rows(
        const float* gy, const int* row_ptr, const int* row_idx,
        const float* row_w, float* rows, int NC, int R, int H, int W) {
    int RW = R * W;
    for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < RW;
         p += blockDim.x * gridDim.x) {
        int r = p / W;
        int x = p - r * W;
        int k0 = row_ptr[r], k1 = row_ptr[r + 1];
        for (int q = blockIdx.y; q < NC; q += gridDim.y) {
            const float* g = gy + (long long)q * H * W + x;
            float acc = 0.0f;
            for (int k = k0; k < k1; ++k) {
                acc += row_w[k] * g[(long long)row_idx[k] * W];
            }
            rows[((long long)q * R + r) * W + x] = acc;
        }
    }
}

// The column pass: down_g[q, i, j] = sum_k col_w[k] * rows[q, R_g + i,
// col_idx[k]] over the CSR row C_g + j of the stacked transposed column
// interpolation matrices. The per-plane elements of all groups are laid
// end to end (group g from elem_off[g] to elem_off[g + 1]); the output of
// group g is its own (NC, h_g, w_g) block starting at elem_off[g] * NC.
//   rows:      (NC, R, W) floats, from fdn_stage_backward_rows
//   sizes:     2G ints, h_g and w_g
//   elem_off:  G + 1 ints, prefix sums of h_g * w_g
//   row_off:   G ints, R_g, the first stacked row of group g
//   col_off:   G ints, C_g, the first CSR column row of group g
//   downs:     elem_off[G] * NC floats
extern "C" __global__ void fdn_stage_backward_cols(
        const float* rows, const int* sizes, const int* elem_off,
        const int* row_off, const int* col_off, const int* col_ptr,
        const int* col_idx, const float* col_w, int G, float* downs,
        int NC, int R, int W) {
    int S = elem_off[G];
    for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < S;
         p += blockDim.x * gridDim.x) {
        int g = 0;
        while (p >= elem_off[g + 1]) ++g;
        int w = sizes[2 * g + 1];
        int e = p - elem_off[g];
        int i = e / w;
        int j = e - i * w;
        int k0 = col_ptr[col_off[g] + j], k1 = col_ptr[col_off[g] + j + 1];
        int r = row_off[g] + i;
        long long base = (long long)elem_off[g] * NC + e;
        long long plane = elem_off[g + 1] - elem_off[g];
        for (int q = blockIdx.y; q < NC; q += gridDim.y) {
            const float* s = rows + ((long long)q * R + r) * W;
            float acc = 0.0f;
            for (int k = k0; k < k1; ++k) {
                acc += col_w[k] * s[col_idx[k]];
            }
            downs[base + q * plane] = acc;
        }
    }
}
