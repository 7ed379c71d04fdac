// Direct 3-wide convolution kernels (see CKernels.h). Vectorised over W in 16-float vectors, register-blocked over
// output channels. The input rows are read in place: the zero halo at x = -1 and x = W is made in registers (a lane
// shift of the first / last vector of a row) and rows outside the volume are skipped, so no row is ever copied.
#include "CKernels.h"
#include "simd.h"

/// x[c0 + j + kx - 1] for j in 0..<16 from the row `pr` of width W (zero outside 0..<W); c0 is a multiple of 16.
/// `left` / `right` say whether c0 is the first / last vector of the row (compile-time constants at every call).
INLINE v16 tap_load(const float *pr, int c0, int kx, const int left, const int right) {
    if (kx == 1) return LOADU(pr + c0);
    if (kx == 0) {
        if (left) {
            const v16 v = LOADU(pr + c0), z = (v16){};
            return __builtin_shufflevector(z, v, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
        }
        return LOADU(pr + c0 - 1);
    }
    if (right) {
        const v16 v = LOADU(pr + c0), z = (v16){};
        return __builtin_shufflevector(v, z, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    }
    return LOADU(pr + c0 + 1);
}

/// Whether input row (z + kz - KD/2, y + ky - KH/2) lies inside the volume, and its offset within a channel plane.
INLINE int tap_row(int z, int yy, int kz, int ky, int D, int H, int W, int KD, int KH, long *offset) {
    const int iz = z + kz - KD / 2, iy = yy + ky - KH / 2;
    if (iz < 0 || iz >= D || iy < 0 || iy >= H) return 0;
    *offset = ((long)iz * H + iy) * W;
    return 1;
}

// MARK: - Forward

/// Output block of one row: CB channels from co0, XB vectors from x0. L / R: the block holds the row's first / last vector.
INLINE void fwd_block(const float *x, const long *rowOff, const int *valid, const float *wpack, const float *bias,
                      const ssk_epilogue *ep, float *yrow, long plane, int cin, int cout, int taps, int co0, int x0,
                      const int CB, const int XB, const int L, const int R) {
    v16 acc[8][4];
    for (int cb = 0; cb < CB; cb++)
        for (int xb = 0; xb < XB; xb++) acc[cb][xb] = (v16){};
    for (int ci = 0; ci < cin; ci++) {
        const float *xc = x + ci * plane;
        for (int t = 0; t < taps; t++) {
            if (!valid[t]) continue;
            const float *pr = xc + rowOff[t];
            const float *wp = wpack + ((long)ci * taps + t) * 3 * cout + co0;
            for (int kx = 0; kx < 3; kx++) {
                v16 v[4];
                for (int xb = 0; xb < XB; xb++)
                    v[xb] = tap_load(pr, x0 + 16 * xb, kx, L && xb == 0, R && xb == XB - 1);
                for (int cb = 0; cb < CB; cb++) {
                    const float w = wp[kx * cout + cb];
                    for (int xb = 0; xb < XB; xb++) acc[cb][xb] += v[xb] * w;
                }
            }
        }
    }
    store_conv_block(acc, bias, ep, yrow, plane, co0, x0, CB, XB);
}

/// All blocks of CB channels from co0 across columns [xa, xb) of one row, XB vectors at a time (then single vectors).
INLINE void fwd_row(const float *x, const long *rowOff, const int *valid, const float *wpack, const float *bias,
                    const ssk_epilogue *ep, float *yrow, long plane, int cin, int cout, int taps, int W, int co0, const int CB, const int XB,
                    int xa, int xb) {
    int x0 = xa;
    for (; x0 + 16 * XB <= xb; x0 += 16 * XB) {
        const int l = x0 == 0, r = x0 + 16 * XB == W;
        if (l && r) fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, cin, cout, taps, co0, x0, CB, XB, 1, 1);
        else if (l) fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, cin, cout, taps, co0, x0, CB, XB, 1, 0);
        else if (r) fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, cin, cout, taps, co0, x0, CB, XB, 0, 1);
        else fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, cin, cout, taps, co0, x0, CB, XB, 0, 0);
    }
    for (; x0 < xb; x0 += 16) {
        const int l = x0 == 0, r = x0 + 16 == W;
        if (l && r) fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, cin, cout, taps, co0, x0, CB, 1, 1, 1);
        else if (l) fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, cin, cout, taps, co0, x0, CB, 1, 1, 0);
        else if (r) fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, cin, cout, taps, co0, x0, CB, 1, 0, 1);
        else fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, cin, cout, taps, co0, x0, CB, 1, 0, 0);
    }
}

/// Output columns per chunk of ssk_conv3_rows (a multiple of 64, so the 32- and 64-wide blocks tile it).
#define FWD_CHUNK 64

CLONES
void ssk_conv3_rows(const float *x, const float *wpack, const float *bias, const ssk_epilogue *ep, float *y,
                    int cin, int cout, int D, int H, int W, int KD, int KH, long row0, long row1) {
    const long plane = (long)D * H * W;
    const int taps = KD * KH;
    int valid[9];
    long rowOff[9];
    for (long row = row0; row < row1; row++) {
        const int z = (int)(row / H), yy = (int)(row % H);
        for (int kz = 0; kz < KD; kz++)
            for (int ky = 0; ky < KH; ky++)
                valid[kz * KH + ky] = tap_row(z, yy, kz, ky, D, H, W, KD, KH, &rowOff[kz * KH + ky]);
        float *yrow = y + row * W;
        // Columns in chunks of FWD_CHUNK, every channel block per chunk: the chunk of the cin * taps input rows stays in
        // L1 across the channel blocks (a whole 256-wide row of 32 channels x 3 taps is 96 KB and was re-read from L2
        // per block). Each output's sum runs in the same order as before: bit-identical.
        for (int xa = 0; xa < W; xa += FWD_CHUNK) {
            const int xb = xa + FWD_CHUNK < W ? xa + FWD_CHUNK : W;
            int co0 = 0;
            for (; co0 + 8 <= cout; co0 += 8) fwd_row(x, rowOff, valid, wpack, bias, ep, yrow, plane, cin, cout, taps, W, co0, 8, 2, xa, xb);
            for (; co0 + 4 <= cout; co0 += 4) fwd_row(x, rowOff, valid, wpack, bias, ep, yrow, plane, cin, cout, taps, W, co0, 4, 4, xa, xb);
            for (; co0 < cout; co0++) fwd_row(x, rowOff, valid, wpack, bias, ep, yrow, plane, cin, cout, taps, W, co0, 1, 4, xa, xb);
        }
    }
}

// MARK: - Weight gradient

/// a[cb][k] += gy[cb][x0..x0+16) * (x shifted by k - 1) for the three tap vectors p0, p1, p2 of one position block.
INLINE void wgrad_vec(v16 p0, v16 p1, v16 p2, const float *g, long plane, v16 a[8][3], const int CB) {
    for (int cb = 0; cb < CB; cb++) {
        const v16 gv = LOADU(g + cb * plane);
        a[cb][0] += gv * p0; a[cb][1] += gv * p1; a[cb][2] += gv * p2;
    }
}

#define SHR1(v, z) __builtin_shufflevector(z, v, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30)
#define SHL1(v, z) __builtin_shufflevector(v, z, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)

/// Rows per weight-gradient chunk at most (bounds the per-chunk table of tap row offsets).
#define WGRAD_MAX_CHUNK 256

/// Valid input rows of each tap over one chunk: for tap t, n[t] pairs of (offset of the input row within a channel
/// plane, offset of the gy row from the chunk's first row); entry n[t] is a spare read (never dereferenced).
typedef struct {
    long xOff[9][WGRAD_MAX_CHUNK + 1];
    long gOff[9][WGRAD_MAX_CHUNK + 1];
    int n[9];
} tap_rows;

/// dW for CB output channels from co0 and the taps of input channel ci over the rows of one chunk; adds into dw.
/// Per tap the interior vectors of every row come first, then the first and last vectors (zero halo), so each
/// loop body is branch-free and the 3*CB accumulators stay in registers for the whole chunk.
INLINE void wgrad_block(const float *xc, const float *gyc, float *dw, long plane, int cin, int taps, int W,
                        const tap_rows *tr, int ci, int co0, const int CB) {
    const v16 z = (v16){};
    for (int t = 0; t < taps; t++) {
        const long *xo = tr->xOff[t], *go = tr->gOff[t];
        const int n = tr->n[t];
        v16 a[8][3];
        for (int cb = 0; cb < CB; cb++) for (int k = 0; k < 3; k++) a[cb][k] = (v16){};
        for (int i = 0; i < n; i++) {
            const float *pr = xc + xo[i], *g = gyc + go[i];
            for (int x0 = 16; x0 < W - 16; x0 += 16)
                wgrad_vec(LOADU(pr + x0 - 1), LOADU(pr + x0), LOADU(pr + x0 + 1), g + x0, plane, a, CB);
        }
        if (W == 16) {
            for (int i = 0; i < n; i++) {
                const v16 p1 = LOADU(xc + xo[i]);
                wgrad_vec(SHR1(p1, z), p1, SHL1(p1, z), gyc + go[i], plane, a, CB);
            }
        } else {
            for (int i = 0; i < n; i++) {
                const float *pr = xc + xo[i];
                const v16 p1 = LOADU(pr);
                wgrad_vec(SHR1(p1, z), p1, LOADU(pr + 1), gyc + go[i], plane, a, CB);
            }
            for (int i = 0; i < n; i++) {
                const float *pr = xc + xo[i] + W - 16;
                const v16 p1 = LOADU(pr);
                wgrad_vec(LOADU(pr - 1), p1, SHL1(p1, z), gyc + go[i] + W - 16, plane, a, CB);
            }
        }
        for (int cb = 0; cb < CB; cb++) {
            float *d = dw + (((long)(co0 + cb) * cin + ci) * taps + t) * 3;
            for (int k = 0; k < 3; k++) d[k] += hsum16(a[cb][k]);
        }
    }
}

/// All CB-channel blocks of one chunk (portable vector code; the AVX-512 variant below uses masked loads instead).
CLONES_AVX2
static void wgrad_chunk_generic(const float *x, const float *gyc, float *dw, long plane, int cin, int cout, int taps, int W,
                                const tap_rows *tr) {
    for (int ci = 0; ci < cin; ci++) {
        const float *xc = x + ci * plane;
        int co0 = 0;
        for (; co0 + 8 <= cout; co0 += 8) wgrad_block(xc, gyc + co0 * plane, dw, plane, cin, taps, W, tr, ci, co0, 8);
        for (; co0 + 4 <= cout; co0 += 4) wgrad_block(xc, gyc + co0 * plane, dw, plane, cin, taps, W, tr, ci, co0, 4);
        for (; co0 < cout; co0++) wgrad_block(xc, gyc + co0 * plane, dw, plane, cin, taps, W, tr, ci, co0, 1);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f")))

/// AVX-512 weight-gradient block for CB <= 6 output channels: one flat loop over every vector of every valid row of
/// the chunk; the zero halo comes from masked loads (lane 0 of the x - 1 vector at a row start, lane 15 of the x + 1
/// vector at a row end). The 3*CB accumulators are named variables, not an array: clang kept a memory copy of an
/// accumulator array (one store per FMA), and a nested row / vector loop made it spill. 3*CB accumulators + 3 x
/// vectors + CB gy vectors fit the 32 registers even when the scheduler hoists every load.
#define WG_DECL(c) __m512 a##c##0 = _mm512_setzero_ps(), a##c##1 = _mm512_setzero_ps(), a##c##2 = _mm512_setzero_ps()
#define WG_STEP(c) if (CB > c) { \
        const __m512 gv = _mm512_loadu_ps(g + c * plane + x0); \
        a##c##0 = _mm512_fmadd_ps(gv, p0, a##c##0); a##c##1 = _mm512_fmadd_ps(gv, p1, a##c##1); \
        a##c##2 = _mm512_fmadd_ps(gv, p2, a##c##2); }
#define WG_FLUSH(c) if (CB > c) { \
        float *d = dw + (((long)(co0 + c) * cin + ci) * taps + t) * 3; \
        d[0] += _mm512_reduce_add_ps(a##c##0); d[1] += _mm512_reduce_add_ps(a##c##1); d[2] += _mm512_reduce_add_ps(a##c##2); }

AVX512 INLINE void wgrad_block_avx512(const float *xc, const float *gyc, float *dw, long plane, int cin, int taps, int W,
                                      const tap_rows *tr, int ci, int co0, const int CB) {
    for (int t = 0; t < taps; t++) {
        const long *xo = tr->xOff[t], *go = tr->gOff[t];
        const int n = tr->n[t];
        WG_DECL(0); WG_DECL(1); WG_DECL(2); WG_DECL(3); WG_DECL(4); WG_DECL(5);
        const float *pr = xc + xo[0], *g = gyc + go[0];
        int i = 0, x0 = 0;
        const int total = n * (W / 16);
#pragma clang loop unroll(disable)
        for (int j = 0; j < total; j++) {
            const __mmask16 m0 = x0 == 0 ? 0xFFFE : 0xFFFF, m2 = x0 + 16 == W ? 0x7FFF : 0xFFFF;
            const __m512 p0 = _mm512_maskz_loadu_ps(m0, pr + x0 - 1), p1 = _mm512_loadu_ps(pr + x0);
            const __m512 p2 = _mm512_maskz_loadu_ps(m2, pr + x0 + 1);
            WG_STEP(0) WG_STEP(1) WG_STEP(2) WG_STEP(3) WG_STEP(4) WG_STEP(5)
            x0 += 16;
            if (x0 == W) {  // next row (xOff / gOff have one spare entry, so i may reach n here)
                x0 = 0; i++;
                pr = xc + xo[i]; g = gyc + go[i];
            }
        }
        WG_FLUSH(0) WG_FLUSH(1) WG_FLUSH(2) WG_FLUSH(3) WG_FLUSH(4) WG_FLUSH(5)
    }
}

AVX512 static void wgrad_chunk_avx512(const float *x, const float *gyc, float *dw, long plane, int cin, int cout, int taps,
                                      int W, const tap_rows *tr) {
    for (int ci = 0; ci < cin; ci++) {
        const float *xc = x + ci * plane;
        int co0 = 0;
        for (; co0 + 6 <= cout; co0 += 6) wgrad_block_avx512(xc, gyc + co0 * plane, dw, plane, cin, taps, W, tr, ci, co0, 6);
        for (; co0 + 4 <= cout; co0 += 4) wgrad_block_avx512(xc, gyc + co0 * plane, dw, plane, cin, taps, W, tr, ci, co0, 4);
        for (; co0 + 2 <= cout; co0 += 2) wgrad_block_avx512(xc, gyc + co0 * plane, dw, plane, cin, taps, W, tr, ci, co0, 2);
        for (; co0 < cout; co0++) wgrad_block_avx512(xc, gyc + co0 * plane, dw, plane, cin, taps, W, tr, ci, co0, 1);
    }
}
#endif

void ssk_conv3_wgrad_rows(const float *x, const float *gy, float *dw,
                          int cin, int cout, int D, int H, int W, int KD, int KH,
                          long row0, long row1, long chunk, int portable) {
    const long plane = (long)D * H * W;
    const int taps = KD * KH;
    static __thread tap_rows tr;  // 37 KB: per thread, not on the stack
#if defined(__x86_64__)
    const int avx512 = !portable && __builtin_cpu_supports("avx512f");
#else
    const int avx512 = 0;
#endif
    if (chunk < 1) chunk = 1;
    if (chunk > WGRAD_MAX_CHUNK) chunk = WGRAD_MAX_CHUNK;
    for (long r0 = row0; r0 < row1; r0 += chunk) {
        const int rows = (int)(r0 + chunk < row1 ? chunk : row1 - r0);
        for (int t = 0; t < taps; t++) tr.n[t] = 0;
        for (int i = 0; i < rows; i++) {
            const int zz = (int)((r0 + i) / H), yy = (int)((r0 + i) % H);
            for (int kz = 0; kz < KD; kz++)
                for (int ky = 0; ky < KH; ky++) {
                    const int t = kz * KH + ky;
                    long o;
                    if (!tap_row(zz, yy, kz, ky, D, H, W, KD, KH, &o)) continue;
                    tr.xOff[t][tr.n[t]] = o;
                    tr.gOff[t][tr.n[t]] = (long)i * W;
                    tr.n[t]++;
                }
        }
#if defined(__x86_64__)
        if (avx512) { wgrad_chunk_avx512(x, gy + r0 * W, dw, plane, cin, cout, taps, W, &tr); continue; }
#endif
        wgrad_chunk_generic(x, gy + r0 * W, dw, plane, cin, cout, taps, W, &tr);
    }
}
