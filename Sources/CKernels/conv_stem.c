// Direct kernels for few-channel input convolutions with 7-wide rows (see conv_stem.h): 16-float vectors over output
// columns read from column-phase rows (contiguous for any stride), register blocks of output channels.
#include "CKernels.h"
#include "simd.h"

#define STEM_KW 7

void ssk_stem_phase(const float *x, float *xp, int W, int sw, int pw, int WP, long row0, long row1) {
    for (long row = row0; row < row1; row++) {
        const float *xr = x + row * W;
        float *pr = xp + row * sw * (long)WP;
        for (int r = 0; r < sw; r++) {
            float *dst = pr + (long)r * WP;
            for (int j = 0; j < WP; j++) {
                const int i = j * sw + r - pw;
                dst[j] = i >= 0 && i < W ? xr[i] : 0.0f;
            }
        }
    }
}

/// One output block: CB channels from co0 by XB vectors from column x0 of output row (oz, oy); `n` valid columns
/// (a partial last vector is stored lane by lane with the same epilogue arithmetic as store_conv_block).
INLINE void stem_fwd_block(const float *xp, const float *wpack, const float *bias, const ssk_epilogue *ep, float *yrow,
                           long oplane, int cin, int cout, int D, int H, int sw, int WP, int oz, int oy, int KD, int KH,
                           int sd, int sh, int pd, int ph, int co0, int x0, int n, const int CB, const int XB) {
    v16 acc[8][4];
    for (int cb = 0; cb < CB; cb++)
        for (int xb = 0; xb < XB; xb++) acc[cb][xb] = (v16){};
    const long prow = (long)sw * WP;
    for (int ci = 0; ci < cin; ci++)
        for (int kz = 0; kz < KD; kz++) {
            const int iz = oz * sd - pd + kz;
            if (iz < 0 || iz >= D) continue;
            for (int ky = 0; ky < KH; ky++) {
                const int iy = oy * sh - ph + ky;
                if (iy < 0 || iy >= H) continue;
                const float *pr = xp + (((long)ci * D + iz) * H + iy) * prow;
                const float *wp = wpack + ((((long)ci * KD + kz) * KH + ky) * STEM_KW) * cout + co0;
                for (int kx = 0; kx < STEM_KW; kx++) {
                    const float *src = pr + (long)(kx % sw) * WP + x0 + kx / sw;
                    v16 v[4];
                    for (int xb = 0; xb < XB; xb++) v[xb] = LOADU(src + 16 * xb);
                    for (int cb = 0; cb < CB; cb++) {
                        const float w = wp[kx * cout + cb];
                        for (int xb = 0; xb < XB; xb++) acc[cb][xb] += v[xb] * w;
                    }
                }
            }
        }
    if (n >= 16 * XB) {
        store_conv_block(acc, bias, ep, yrow, oplane, co0, x0, CB, XB);
        return;
    }
    for (int cb = 0; cb < CB; cb++) {
        const float b = bias ? bias[co0 + cb] : 0.0f;
        const float sc = ep && ep->scale ? ep->scale[co0 + cb] : 1.0f, sh_ = ep && ep->shift ? ep->shift[co0 + cb] : 0.0f;
        float *dst = yrow + (long)(co0 + cb) * oplane + x0;
        for (int j = 0; j < n; j++) {
            float v = acc[cb][j / 16][j % 16] + b;
            if (ep) {
                if (ep->scale) {
                    const float m = v * sc;
                    v = m + sh_;
                }
                if (ep->relu) v = v > 0.0f ? v : 0.0f;
            }
            dst[j] = v;
        }
    }
}

/// Column blocks of one output row for channels [co0, co0 + CB): XB = 4, 2, 1 vectors while they fit.
INLINE void stem_fwd_row(const float *xp, const float *wpack, const float *bias, const ssk_epilogue *ep, float *yrow,
                         long oplane, int cin, int cout, int D, int H, int sw, int WP, int OW, int oz, int oy, int KD, int KH,
                         int sd, int sh, int pd, int ph, int co0, const int CB) {
    int x0 = 0;
    for (; x0 + 64 <= OW; x0 += 64)
        stem_fwd_block(xp, wpack, bias, ep, yrow, oplane, cin, cout, D, H, sw, WP, oz, oy, KD, KH, sd, sh, pd, ph, co0, x0, 64, CB, 4);
    for (; x0 + 32 <= OW; x0 += 32)
        stem_fwd_block(xp, wpack, bias, ep, yrow, oplane, cin, cout, D, H, sw, WP, oz, oy, KD, KH, sd, sh, pd, ph, co0, x0, 32, CB, 2);
    for (; x0 < OW; x0 += 16)
        stem_fwd_block(xp, wpack, bias, ep, yrow, oplane, cin, cout, D, H, sw, WP, oz, oy, KD, KH, sd, sh, pd, ph, co0, x0,
                       OW - x0, CB, 1);
}

CLONES
void ssk_stem_rows(const float *xp, const float *wpack, const float *bias, const ssk_epilogue *ep, float *y, int cin, int cout,
                   int D, int H, int sw, int WP, int OD, int OH, int OW, int KD, int KH, int sd, int sh, int pd, int ph,
                   long row0, long row1) {
    const long oplane = (long)OD * OH * OW;
    for (long row = row0; row < row1; row++) {
        const int oz = (int)(row / OH), oy = (int)(row % OH);
        float *yrow = y + row * OW;
        int co0 = 0;
        for (; co0 + 4 <= cout; co0 += 4)
            stem_fwd_row(xp, wpack, bias, ep, yrow, oplane, cin, cout, D, H, sw, WP, OW, oz, oy, KD, KH, sd, sh, pd, ph, co0, 4);
        for (; co0 < cout; co0++)
            stem_fwd_row(xp, wpack, bias, ep, yrow, oplane, cin, cout, D, H, sw, WP, OW, oz, oy, KD, KH, sd, sh, pd, ph, co0, 1);
    }
}

/// dW of CB output channels from co0 for input row (ci, kz, ky) over output rows [row0, row1): CB * 7 accumulators.
INLINE void stem_wgrad_block(const float *xp, const float *gy, float *dw, long oplane, int cin, int D, int H, int sw, int WP,
                             int OH, int OW, int KD, int KH, int sd, int sh, int pd, int ph, int ci, int kz, int ky, int co0,
                             long row0, long row1, const int CB) {
    v16 a[4][STEM_KW];
    for (int cb = 0; cb < CB; cb++)
        for (int kx = 0; kx < STEM_KW; kx++) a[cb][kx] = (v16){};
    const long prow = (long)sw * WP;
    for (long row = row0; row < row1; row++) {
        const int oz = (int)(row / OH), oy = (int)(row % OH);
        const int iz = oz * sd - pd + kz, iy = oy * sh - ph + ky;
        if (iz < 0 || iz >= D || iy < 0 || iy >= H) continue;
        const float *pr = xp + (((long)ci * D + iz) * H + iy) * prow;
        const float *g = gy + (long)co0 * oplane + row * OW;
        for (int x0 = 0; x0 < OW; x0 += 16) {
            v16 gv[4];
            if (x0 + 16 <= OW) {
                for (int cb = 0; cb < CB; cb++) gv[cb] = LOADU(g + cb * oplane + x0);
            } else {
                for (int cb = 0; cb < CB; cb++) {
                    float t[16];
                    for (int j = 0; j < 16; j++) t[j] = x0 + j < OW ? g[cb * oplane + x0 + j] : 0.0f;
                    gv[cb] = LOADU(t);
                }
            }
            for (int kx = 0; kx < STEM_KW; kx++) {
                const v16 v = LOADU(pr + (long)(kx % sw) * WP + x0 + kx / sw);
                for (int cb = 0; cb < CB; cb++) a[cb][kx] += gv[cb] * v;
            }
        }
    }
    for (int cb = 0; cb < CB; cb++) {
        float *d = dw + ((((long)(co0 + cb) * cin + ci) * KD + kz) * KH + ky) * STEM_KW;
        for (int kx = 0; kx < STEM_KW; kx++) d[kx] += hsum16(a[cb][kx]);
    }
}

CLONES
void ssk_stem_wgrad_rows(const float *xp, const float *gy, float *dw, int cin, int cout, int D, int H, int sw, int WP,
                         int OD, int OH, int OW, int KD, int KH, int sd, int sh, int pd, int ph, long row0, long row1) {
    const long oplane = (long)OD * OH * OW;
    for (int ci = 0; ci < cin; ci++)
        for (int kz = 0; kz < KD; kz++)
            for (int ky = 0; ky < KH; ky++) {
                int co0 = 0;
                for (; co0 + 4 <= cout; co0 += 4)
                    stem_wgrad_block(xp, gy, dw, oplane, cin, D, H, sw, WP, OH, OW, KD, KH, sd, sh, pd, ph, ci, kz, ky, co0, row0, row1, 4);
                for (; co0 < cout; co0++)
                    stem_wgrad_block(xp, gy, dw, oplane, cin, D, H, sw, WP, OH, OW, KD, KH, sd, sh, pd, ph, ci, kz, ky, co0, row0, row1, 1);
            }
}
