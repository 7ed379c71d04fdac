#ifndef SEMISEG_CKERNELS_H
#define SEMISEG_CKERNELS_H
/// Direct SIMD convolution kernels for small channel counts (runtime dispatch: AVX-512 / AVX2+FMA / baseline).
///
/// Geometry: one sample, input [cin][D][H][W], output [cout][D][H][W] (stride 1, "same" zero padding),
/// kernel KD x KH x 3 with KD, KH in {1, 3} (padding KD/2, KH/2, 1), W a multiple of 16.
/// Rows are the (z, y) output rows, numbered z*H + y; each call handles rows [row0, row1).

/// y[co][row] = bias[co] + sum over (ci, taps) of wpack[ci][kz][ky][kx][co] * x[ci][shifted row].
/// wpack is the weight in [cin][KD][KH][3][cout] order; bias may be NULL. patch: cin*KD*KH*(W+2) floats.
void ssk_conv3_rows(const float *x, const float *wpack, const float *bias, float *y,
                    int cin, int cout, int D, int H, int W, int KD, int KH,
                    long row0, long row1, float *patch);

/// Accumulates dW partial sums: acc[co][ci][kz][ky][kx][16] += sum over rows and x of gy[co][row][x] * x[ci][shifted].
/// acc holds cout*cin*KD*KH*3*16 floats (the 16 lanes are summed by the caller). patch as above.
void ssk_conv3_wgrad_rows(const float *x, const float *gy, float *acc,
                          int cin, int cout, int D, int H, int W, int KD, int KH,
                          long row0, long row1, float *patch);
#endif
