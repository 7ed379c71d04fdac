#ifndef SEMISEG_CONV_DILATED_H
#define SEMISEG_CONV_DILATED_H
/// Direct SIMD kernels for dilated 3-wide "same" convolutions (the dilated FCN's rates 2..6, DeepLab's dilated layers
/// and ASPP): the geometry of ssk_conv3_rows (one sample, stride 1, kernel KD x KH x 3 with KD, KH in {1, 3}, W a
/// multiple of 16) with every 3-wide axis dilated by `dil` and padded by `dil`. Rows are the (z, y) output rows,
/// numbered z*H + y. The input is read from a copy `xpad` [cin][D][H][W + 2 * dil] whose rows carry dil zeros on each
/// side (ssk_dconv3_pad_rows; xpad points at the first padding zero), so every tap is one unaligned load.

/// Copies rows [row0, row1) of x [rows][W] into xpad [rows][W + 2 * dil] with dil zeros on each side.
void ssk_dconv3_pad_rows(const float *x, float *xpad, int W, int dil, long row0, long row1);

/// y[co][row] = bias[co] + sum over (ci, taps) of wpack[ci][kz][ky][kx][co] * x[ci][row shifted by the dilated tap], then
/// the epilogue `ep` when not NULL (same packing, bias and epilogue order as ssk_conv3_rows). Overwrites rows [row0, row1).
void ssk_dconv3_rows_padded(const float *xpad, const float *wpack, const float *bias, const ssk_epilogue *ep, float *y,
                            int cin, int cout, int D, int H, int W, int KD, int KH, int dil, long row0, long row1);

/// Adds the weight gradient of output rows [row0, row1) into dw[co][ci][kz][ky][kx] (PyTorch layout): dw += sum over
/// those rows and x of gy[co][row][x] * x[ci][dilated tap row][x + (kx - 1) * dil]. Rows are taken `chunk` at a time.
void ssk_dconv3_wgrad_rows_padded(const float *xpad, const float *gy, float *dw, int cin, int cout, int D, int H, int W, int KD,
                                  int KH, int dil, long row0, long row1, long chunk);
#endif
