// Direct dilated 3-wide convolution kernels (see conv_dilated.h). The structure of conv_direct.c (16-float vectors
// over W, register blocks of output channels) with taps `dil` apart, read from rows padded with dil zeros on each side
// (on DeepLab's 16-wide maps every vector of the unpadded rows had a tap past a row end and was gathered lane by lane).
#include "CKernels.h"
#include "simd.h"
#include "conv_dilated_rows.h"

/// Output block of one row: CB channels from co0, XB vectors from x0.
INLINE void dl_fwd_block(const float *x, const long *rowOff, const int *valid, const float *wpack, const float *bias,
                         const ssk_epilogue *ep, float *yrow, long plane, long xplane, int cin, int cout, int taps, int W, int dil,
                         int co0, int x0, const int CB, const int XB) {
    v16 acc[8][4];
    for (int cb = 0; cb < CB; cb++)
        for (int xb = 0; xb < XB; xb++) acc[cb][xb] = (v16){};
    for (int ci = 0; ci < cin; ci++) {
        const float *xc = x + ci * xplane;
        for (int t = 0; t < taps; t++) {
            if (!valid[t]) continue;
            const float *pr = xc + rowOff[t];
            const float *wp = wpack + ((long)ci * taps + t) * 3 * cout + co0;
            for (int kx = 0; kx < 3; kx++) {
                v16 v[4];
                for (int xb = 0; xb < XB; xb++) v[xb] = LOADU(pr + x0 + 16 * xb + (kx - 1) * dil);
                for (int cb = 0; cb < CB; cb++) {
                    const float w = wp[kx * cout + cb];
                    for (int xb = 0; xb < XB; xb++) acc[cb][xb] += v[xb] * w;
                }
            }
        }
    }
    store_conv_block(acc, bias, ep, yrow, plane, co0, x0, CB, XB);
}

/// Output columns per chunk (a multiple of 32: the 2-vector blocks tile it).
#define DL_CHUNK 64

CLONES
void ssk_dconv3_rows_padded(const float *xpad, const float *wpack, const float *bias, const ssk_epilogue *ep, float *y,
                            int cin, int cout, int D, int H, int W, int KD, int KH, int dil, long row0, long row1) {
    const float *x = xpad + dil;  // column 0 of the first row
    const long plane = (long)D * H * W, XW = W + 2 * dil, xplane = (long)D * H * XW;
    const int taps = KD * KH;
    int valid[9];
    long rowOff[9];
    for (long row = row0; row < row1; row++) {
        const int z = (int)(row / H), yy = (int)(row % H);
        for (int kz = 0; kz < KD; kz++)
            for (int ky = 0; ky < KH; ky++)
                valid[kz * KH + ky] = dl_row(z, yy, kz, ky, D, H, (int)XW, KD, KH, dil, &rowOff[kz * KH + ky]);
        float *yrow = y + row * W;
        for (int xa = 0; xa < W; xa += DL_CHUNK) {
            const int xe = xa + DL_CHUNK < W ? xa + DL_CHUNK : W;
            int co0 = 0;
            for (; co0 + 8 <= cout; co0 += 8) {
                int x0 = xa;
                for (; x0 + 32 <= xe; x0 += 32) dl_fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, xplane, cin, cout, taps, W, dil, co0, x0, 8, 2);
                for (; x0 < xe; x0 += 16) dl_fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, xplane, cin, cout, taps, W, dil, co0, x0, 8, 1);
            }
            for (; co0 + 4 <= cout; co0 += 4) {
                int x0 = xa;
                for (; x0 + 32 <= xe; x0 += 32) dl_fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, xplane, cin, cout, taps, W, dil, co0, x0, 4, 2);
                for (; x0 < xe; x0 += 16) dl_fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, xplane, cin, cout, taps, W, dil, co0, x0, 4, 1);
            }
            for (; co0 < cout; co0++)
                for (int x0 = xa; x0 < xe; x0 += 16) dl_fwd_block(x, rowOff, valid, wpack, bias, ep, yrow, plane, xplane, cin, cout, taps, W, dil, co0, x0, 1, 1);
        }
    }
}

void ssk_dconv3_pad_rows(const float *x, float *xpad, int W, int dil, long row0, long row1) {
    const int XW = W + 2 * dil;
    for (long row = row0; row < row1; row++) {
        float *d = xpad + row * XW;
        for (int j = 0; j < dil; j++) { d[j] = 0.0f; d[dil + W + j] = 0.0f; }
        const float *src = x + row * W;
        for (int j = 0; j < W; j++) d[dil + j] = src[j];
    }
}

/// dW of CB output channels from co0, input channel ci, every tap, over rows [r0, r1): 3*CB accumulators per tap (CB = 8:
/// 24 of the 32 AVX-512 registers, 11 loads per 24 FMAs).
INLINE void dl_wgrad_block(const float *xc, const float *gy, float *dw, long plane, int cin, int D, int H, int W, int KD, int KH,
                           int dil, int ci, int co0, long r0, long r1, const int CB) {
    const int taps = KD * KH;
    for (int kz = 0; kz < KD; kz++)
        for (int ky = 0; ky < KH; ky++) {
            v16 a[8][3];
            for (int cb = 0; cb < CB; cb++) a[cb][0] = a[cb][1] = a[cb][2] = (v16){};
            for (long row = r0; row < r1; row++) {
                long off;
                if (!dl_row((int)(row / H), (int)(row % H), kz, ky, D, H, W + 2 * dil, KD, KH, dil, &off)) continue;
                const float *pr = xc + off, *g = gy + (long)co0 * plane + row * W;
                for (int x0 = 0; x0 < W; x0 += 16) {
                    const v16 p0 = LOADU(pr + x0 - dil), p1 = LOADU(pr + x0), p2 = LOADU(pr + x0 + dil);
                    for (int cb = 0; cb < CB; cb++) {
                        const v16 gv = LOADU(g + cb * plane + x0);
                        a[cb][0] += gv * p0; a[cb][1] += gv * p1; a[cb][2] += gv * p2;
                    }
                }
            }
            const int t = kz * KH + ky;
            for (int cb = 0; cb < CB; cb++) {
                float *d = dw + (((long)(co0 + cb) * cin + ci) * taps + t) * 3;
                for (int k = 0; k < 3; k++) d[k] += hsum16(a[cb][k]);
            }
        }
}

CLONES
void ssk_dconv3_wgrad_rows_padded(const float *xpad, const float *gy, float *dw, int cin, int cout, int D, int H, int W, int KD,
                                  int KH, int dil, long row0, long row1, long chunk) {
    const float *x = xpad + dil;  // column 0 of the first row
    const long plane = (long)D * H * W, xplane = (long)D * H * (W + 2 * dil);
    if (chunk < 1) chunk = 1;
    for (long r0 = row0; r0 < row1; r0 += chunk) {
        const long r1 = r0 + chunk < row1 ? r0 + chunk : row1;
        for (int ci = 0; ci < cin; ci++) {
            const float *xc = x + ci * xplane;
            int co0 = 0;
            for (; co0 + 8 <= cout; co0 += 8) dl_wgrad_block(xc, gy, dw, plane, cin, D, H, W, KD, KH, dil, ci, co0, r0, r1, 8);
            for (; co0 + 4 <= cout; co0 += 4) dl_wgrad_block(xc, gy, dw, plane, cin, D, H, W, KD, KH, dil, ci, co0, r0, r1, 4);
            for (; co0 < cout; co0++) dl_wgrad_block(xc, gy, dw, plane, cin, D, H, W, KD, KH, dil, ci, co0, r0, r1, 1);
        }
    }
}
