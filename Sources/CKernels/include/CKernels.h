#ifndef SEMISEG_CKERNELS_H
#define SEMISEG_CKERNELS_H
/// Direct SIMD convolution kernels for small channel counts (runtime dispatch: AVX-512 / AVX2+FMA / baseline).
///
/// Geometry: one sample, input [cin][D][H][W], output [cout][D][H][W] (stride 1, "same" zero padding),
/// kernel KD x KH x 3 with KD, KH in {1, 3} (padding KD/2, KH/2, 1), W a multiple of 16.
/// Rows are the (z, y) output rows, numbered z*H + y; each call handles rows [row0, row1).

/// Input rows are read in place (no copies); the zero padding is made in registers.

/// Per-output-channel epilogue of an inference convolution: y = relu((conv + bias) * scale[co] + shift[co]) (an eval
/// batch norm and ReLU folded into the store). scale and shift are NULL together (no affine step); relu != 0 clamps.
typedef struct {
    const float *scale;
    const float *shift;
    int relu;
} ssk_epilogue;

/// y[co][row] = bias[co] + sum over (ci, taps) of wpack[ci][kz][ky][kx][co] * x[ci][shifted row], then the epilogue
/// `ep` when not NULL. wpack is the weight in [cin][KD][KH][3][cout] order; bias may be NULL. Overwrites the rows
/// [row0, row1) of y.
void ssk_conv3_rows(const float *x, const float *wpack, const float *bias, const ssk_epilogue *ep, float *y,
                    int cin, int cout, int D, int H, int W, int KD, int KH,
                    long row0, long row1);

/// Adds the weight gradient of output rows [row0, row1) into dw[co][ci][kz][ky][kx] (the PyTorch weight layout):
/// dw += sum over those rows and x of gy[co][row][x] * x[ci][shifted row][x + kx - 1]. Rows are taken `chunk` at a
/// time (each chunk's x and gy rows should fit in L2); within a chunk, 16-lane partial sums stay in registers.
/// portable != 0 skips the AVX-512 variant (tests compare both code paths on AVX-512 machines).
void ssk_conv3_wgrad_rows(const float *x, const float *gy, float *dw,
                          int cin, int cout, int D, int H, int W, int KD, int KH,
                          long row0, long row1, long chunk, int portable);
/// Winograd F(4x4, 3x3) convolution (stride 1, "same" zero padding, kernel KD x 3 x 3 with KD in {1, 3}); the
/// geometry of ssk_conv3_rows. Tile rows are numbered r = (n * D + z) * ceil(H / 4) + ty over the batch (x is
/// [N][cin][D][H][W], y [N][cout][D][H][W]); each 4-row tile row covers output rows 4ty..4ty+3 of plane z.

/// Transforms weights w[cout][cin][KD][3][3] into u[36][KD * cin][cout] (u = G g G^T per 3x3 slice, in double).
void ssk_wino_filter(const float *w, float *u, int cin, int cout, int KD);

/// ssk_wino_filter for the input channels [ci0, ci1) only (workers split a filter transform). With `flipped` != 0, w is
/// [cin][cout][KD][3][3] and transformed as the kernel w'[co][ci][kd][a][b] = w[ci][co][KD - 1 - kd][2 - a][2 - b] (a
/// backward-data pass's spatially flipped, channel-swapped kernel, read in place: the values of flipping first).
void ssk_wino_filter_range(const float *w, float *u, int cin, int cout, int KD, int ci0, int ci1, int flipped);

/// Floats between transform rows of a block of `rows` tile rows (the `ld` of the scratch buffers).
long ssk_wino_tiles_stride(int W, long rows);

/// Computes the output tile rows [r0, r1): y = conv + bias, then the epilogue `ep` when not NULL. u from
/// ssk_wino_filter; scratch: vbuf 36 * KD * cin * ld, mbuf 36 * cout * ld (ld = ssk_wino_tiles_stride(W, r1 - r0)) and
/// rowbuf 6 * (64 * ceil(ceil(W / 4) / 16) + 16) floats.
void ssk_wino_rows(const float *x, const float *u, const float *bias, const ssk_epilogue *ep, float *y, float *vbuf, float *mbuf,
                   float *rowbuf, int cin, int cout, int D, int H, int W, int KD, long r0, long r1);

/// ssk_wino_rows of the channel concatenation of x [N][c1][D][H][W] and x2 [N][cin - c1][D][H][W] (x2 may be NULL when
/// c1 == cin): a decoder convolution reads its skip and upsampled inputs in place, without the concatenated copy.
void ssk_wino_rows_split(const float *x, const float *x2, int c1, const float *u, const float *bias, const ssk_epilogue *ep, float *y,
                         float *vbuf, float *mbuf, float *rowbuf, int cin, int cout, int D, int H, int W, int KD, long r0, long r1);

/// ssk_wino_rows for an input that is the nearest upsampling of x [N][cin][D / UPD][H / 2][W / 2] (x2 in H and W, UPD = 1 or
/// 2 in depth; H and W even), read in place: the values of ssk_wino_rows on the upsampled copy. D, H, W are the output's.
void ssk_wino_rows_up(const float *x, const float *u, const float *bias, const ssk_epilogue *ep, float *y, float *vbuf, float *mbuf,
                      float *rowbuf, int cin, int cout, int D, int H, int W, int KD, int UPD, long r0, long r1);

/// ssk_wino_rows_split (UPD == 0) or ssk_wino_rows_up (UPD 1 or 2) for the output channels [co0, co1) only (workers split
/// the channels of a block when the blocks are fewer than the workers; each transforms the block's input itself). With
/// `packed` != 0, planes 4, 8, 16 or 32 wide put 64 / W tile rows in one 16-lane vector in the input and output
/// transforms (bit-identical values; 0 takes the row-wise transforms, for tests).
void ssk_wino_rows_range(const float *x, const float *x2, int c1, const float *u, const float *bias, const ssk_epilogue *ep,
                         float *y, float *vbuf, float *mbuf, float *rowbuf, int cin, int cout, int D, int H, int W, int KD, int UPD,
                         long r0, long r1, int co0, int co1, int packed);

/// Max pooling with kernel = stride = 2 in H and W and KD (1 or 2) in depth, no padding, floor mode, values only (no
/// argmax: inference): planes [p0, p1) of x [planes][D][H][W] into y [planes][D / KD][H / 2][W / 2]. Each window is
/// read in row-major order and keeps its first maximum; a NaN wins over numbers.
void ssk_maxpool2x_values(const float *x, float *y, long p0, long p1, int D, int H, int W, int KD);

/// ssk_maxpool2x_values that also writes, per output, the flat in-plane index (z * H + y) * W + x of the maximum it kept
/// into idx [planes][D / KD][H / 2][W / 2] (training: the backward pass scatters through it). Same values and rule.
void ssk_maxpool2x_argmax(const float *x, float *y, int *idx, long p0, long p1, int D, int H, int W, int KD);

/// Max pooling with kernel 3, stride 2, padding 1 in H and W, and in depth the same (KD = 3) or none (KD = 1): planes
/// [p0, p1) of x [planes][D][H][W] into y [planes][OD][(H - 1) / 2 + 1][(W - 1) / 2 + 1] (OD = (D - 1) / 2 + 1 or D), and
/// the flat in-plane index of each maximum into idx. Windows read in row-major order, clipped to the input; the first
/// maximum wins ties, a NaN wins over numbers (the engine's window walk).
void ssk_maxpool3s2_argmax(const float *x, float *y, int *idx, long p0, long p1, int D, int H, int W, int KD);

/// ssk_maxpool3s2_argmax without the indices (inference).
void ssk_maxpool3s2_values(const float *x, float *y, long p0, long p1, int D, int H, int W, int KD);

/// Winograd F(4x4, 3x3) weight gradient (geometry and tile rows as ssk_wino_rows; gy is [N][cout][D][H][W]): adds over the
/// tiles of tile rows [r0, r1) the transform-domain gradient du[36][cout][KD * cin] += (A gy A^T) (.) (B^T x B); scratch as
/// ssk_wino_rows (vbuf 36 * KD * cin * ld, mbuf 36 * cout * ld, rowbuf), vbuf and mbuf zeroed before a worker's first call.
void ssk_wino_wgrad_rows(const float *x, const float *gy, float *du, float *vbuf, float *mbuf, float *rowbuf,
                         int cin, int cout, int D, int H, int W, int KD, long r0, long r1);

/// dw[cout][cin][KD][3][3] = G^T du G per (co, depth tap, ci), in double (the adjoint of ssk_wino_filter).
void ssk_wino_wgrad_filter(const float *du, float *dw, int cin, int cout, int KD);
/// Winograd weight gradient on planes 4, 8, 16 or 32 wide, the whole batch's `rows` tile rows (N * D * ceil(H / 4)) in
/// packed groups of 16 tiles (`ldt` >= 16 * ceil(rows / (64 / W)) floats per transform row):
/// ssk_wino_small_input writes v[36][KD * cin][ldt] (B^T x B) for the rows k in [k0, k1); ssk_wino_small_grad writes
/// m[36][cout][ldt] (A dY A^T) for the channels [co0, co1). Tiles past the last row are zero in m.
void ssk_wino_small_input(const float *x, float *v, int cin, int D, int H, int W, int KD, long rows, long ldt, int k0, int k1);
void ssk_wino_small_grad(const float *gy, float *m, int cout, int D, int H, int W, long rows, long ldt, int co0, int co1);

/// ssk_wino_wgrad_filter for the output channels [co0, co1) (bit-identical; vectorised along the input channels).
void ssk_wino_wgrad_filter_range(const float *du, float *dw, int cin, int cout, int KD, int co0, int co1);

#include "winograd_nd.h"
#include "conv_dilated.h"
#include "conv_dilated8.h"
#include "conv_stem.h"
#include "softmax_ce.h"
#include "thread_pool.h"
#endif
