#ifndef SEMISEG_CONV_STEM_H
#define SEMISEG_CONV_STEM_H
/// Direct SIMD kernels for a network's input ("stem") convolution with few input channels: kernel KD x KH x 7, any
/// stride and padding (DeepLab's 7x7 / 7x7x7 stride-2 conv on 1-4 channels). im2col + sgemm ran it at 14-29 % of the
/// sgemm peak: its GEMM has K = cin * 49 (343) and only `cout` (8-16) rows.
///
/// The input is first split (ssk_stem_phase) into `sw` column phases per input row, zero-padded: phase r of row
/// (ci, z, y) holds xp[j] = x[ci][z][y][j * sw + r - pw] (0 outside the row), WP floats per phase row. A tap kx of output
/// column ox then reads phase kx % sw at ox + kx / sw: contiguous vectors over 16 output columns.
/// Rows are the (oz, oy) output rows, numbered oz * OH + oy.

/// Writes the phase rows of one sample: xp [cin][D][H][sw][WP] from x [cin][D][H][W], rows [row0, row1) of cin * D * H.
void ssk_stem_phase(const float *x, float *xp, int W, int sw, int pw, int WP, long row0, long row1);

/// y[co][orow][ox] = bias[co] + sum over (ci, kz, ky, kx) of wpack[ci][kz][ky][kx][co] * x[ci][iz][iy][ox * sw + kx - pw]
/// (iz = oz * sd - pd + kz, iy = oy * sh - ph + ky; 0 outside the input), then the epilogue `ep` when not NULL (as
/// ssk_conv3_rows); xp from ssk_stem_phase, KW == 7, WP >= 16 * ceil(OW / 16) + 6 / sw. Overwrites output rows [row0, row1) of
/// y [cout][OD][OH][OW].
void ssk_stem_rows(const float *xp, const float *wpack, const float *bias, const ssk_epilogue *ep, float *y, int cin, int cout,
                   int D, int H, int sw, int WP, int OD, int OH, int OW, int KD, int KH, int sd, int sh, int pd, int ph,
                   long row0, long row1);

/// Adds the weight gradient of output rows [row0, row1) into dw[co][ci][kz][ky][kx] (PyTorch layout, KW == 7):
/// dw += sum over those rows and columns of gy[co][orow][ox] * x[ci][iz][iy][ox * sw + kx - pw]; xp from ssk_stem_phase.
void ssk_stem_wgrad_rows(const float *xp, const float *gy, float *dw, int cin, int cout, int D, int H, int sw, int WP,
                         int OD, int OH, int OW, int KD, int KH, int sd, int sh, int pd, int ph, long row0, long row1);
#endif
