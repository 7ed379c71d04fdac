#ifndef SEMISEG_CONV_DILATED8_H
#define SEMISEG_CONV_DILATED8_H
/// Dilated 3-wide direct kernels, forward and backward data, for rows 8 floats wide modulo 16 (W % 16 == 8: DeepLab's
/// dilated layers on 8x8 and 24-wide maps; the weight gradient stays on im2col + sgemm, see ConvolutionDilated.swift): the geometry and padded input rows `xpad` of conv_dilated.h, but each 16-lane vector holds two
/// 8-column segments, consecutive in the (row, column) order of the rows [row0, row1), so no lane is wasted on an 8-wide
/// row. A segment's tap row outside the volume is read from `zero`, a row of 8 + 2 * dil zeros (zero points at its first
/// float).

/// As ssk_dconv3_rows_padded (same packing, bias and epilogue; the same arithmetic in the same order per output).
void ssk_dconv3_rows_padded8(const float *xpad, const float *zero, const float *wpack, const float *bias, const ssk_epilogue *ep,
                             float *y, int cin, int cout, int D, int H, int W, int KD, int KH, int dil, long row0, long row1);

#endif
