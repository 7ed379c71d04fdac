// Dilated 3-wide direct kernels on rows 8 floats wide modulo 16 (see conv_dilated8.h): conv_dilated.c's blocks with each
// 16-lane vector made of two 8-column segments (on DeepLab's 8x8 maps: two rows), so an 8-wide row fills half a vector
// instead of running on im2col + sgemm (docs/ARCHITECTURE.md, "Engine").
#include <stddef.h>
#include "CKernels.h"
#include "conv_dilated_rows.h"

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));

/// One 8-column segment of an output row: its offset in a channel plane (-1: none, the unused half of the last vector)
/// and, per tap row, the offset of its column 0 in a channel's padded plane (-1: outside the volume, read zeros).
typedef struct {
    long yoff;
    long xoff[9];
} dl8_seg;

/// Segment `k` (0-based, in (row, column) order) of rows from row0, `nseg` segments a row.
INLINE void dl8_seg_make(dl8_seg *s, long row0, long k, int nseg, int D, int H, int W, int KD, int KH, int dil) {
    const long row = row0 + k / nseg;
    const int x0 = (int)(k % nseg) * 8, z = (int)(row / H), yy = (int)(row % H);
    s->yoff = row * W + x0;
    for (int kz = 0; kz < KD; kz++)
        for (int ky = 0; ky < KH; ky++) {
            long off;
            s->xoff[kz * KH + ky] = dl_row(z, yy, kz, ky, D, H, W + 2 * dil, KD, KH, dil, &off) ? off + x0 : -1;
        }
}

INLINE void dl8_seg_none(dl8_seg *s) {
    s->yoff = -1;
    for (int t = 0; t < 9; t++) s->xoff[t] = -1;
}

/// 16 lanes: 8 floats from a, then 8 from b.
INLINE v16 dl8_pair(const float *a, const float *b) {
    const v8 lo = *(const v8u *)a, hi = *(const v8u *)b;
    return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

/// Output block: CB channels from co0 by XB vectors (segments sg[0 .. 2 * XB)). Same arithmetic per output as
/// dl_fwd_block (a tap outside the volume adds 0 * w to the half of a vector it belongs to), same bias and epilogue.
INLINE void dl8_fwd_block(const float *x, const float *zero, const dl8_seg *sg, const float *wpack, const float *bias,
                          const ssk_epilogue *ep, float *y, long plane, long xplane, int cin, int cout, int taps, int dil, int co0,
                          const int CB, const int XB) {
    v16 acc[8][4];
    for (int cb = 0; cb < CB; cb++)
        for (int xb = 0; xb < XB; xb++) acc[cb][xb] = (v16){};
    for (int ci = 0; ci < cin; ci++) {
        const float *xc = x + ci * xplane;
        for (int t = 0; t < taps; t++) {
            const float *p[4];
            int live = 0;
            for (int s = 0; s < 2 * XB; s++) {
                const long o = sg[s].xoff[t];
                p[s] = o >= 0 ? xc + o : zero;
                live |= o >= 0;
            }
            if (!live) continue;
            const float *wp = wpack + ((long)ci * taps + t) * 3 * cout + co0;
            for (int kx = 0; kx < 3; kx++) {
                v16 v[2];
                for (int xb = 0; xb < XB; xb++) v[xb] = dl8_pair(p[2 * xb] + (kx - 1) * dil, p[2 * xb + 1] + (kx - 1) * dil);
                for (int cb = 0; cb < CB; cb++) {
                    const float w = wp[kx * cout + cb];
                    for (int xb = 0; xb < XB; xb++) acc[cb][xb] += v[xb] * w;
                }
            }
        }
    }
    // bias and epilogue as store_conv_block (channels from co0: the block's own bias and epilogue rows) into a buffer,
    // then each vector's halves to their segments
    float tmp[8 * 32];
    const ssk_epilogue e = {ep && ep->scale ? ep->scale + co0 : NULL, ep && ep->shift ? ep->shift + co0 : NULL, ep ? ep->relu : 0};
    store_conv_block(acc, bias ? bias + co0 : NULL, ep ? &e : NULL, tmp, 32, 0, 0, CB, XB);
    for (int cb = 0; cb < CB; cb++) {
        float *yc = y + (long)(co0 + cb) * plane;
        for (int xb = 0; xb < XB; xb++) {
            const float *t = tmp + cb * 32 + 16 * xb;
            *(v8u *)(yc + sg[2 * xb].yoff) = *(const v8u *)t;
            if (sg[2 * xb + 1].yoff >= 0) *(v8u *)(yc + sg[2 * xb + 1].yoff) = *(const v8u *)(t + 8);
        }
    }
}

CLONES
void ssk_dconv3_rows_padded8(const float *xpad, const float *zero, const float *wpack, const float *bias, const ssk_epilogue *ep,
                             float *y, int cin, int cout, int D, int H, int W, int KD, int KH, int dil, long row0, long row1) {
    const float *x = xpad + dil, *z0 = zero + dil;  // column 0 of the first row, of the zero row
    const long plane = (long)D * H * W, xplane = (long)D * H * (W + 2 * dil);
    const int taps = KD * KH, nseg = W / 8;
    const long count = (row1 - row0) * nseg;
    for (long k = 0; k < count; k += 4) {
        dl8_seg sg[4];
        const int n = count - k < 4 ? (int)(count - k) : 4;
        for (int s = 0; s < 4; s++) {
            if (s < n) dl8_seg_make(&sg[s], row0, k + s, nseg, D, H, W, KD, KH, dil);
            else dl8_seg_none(&sg[s]);
        }
        int co0 = 0;
        if (n > 2) {
            for (; co0 + 8 <= cout; co0 += 8) dl8_fwd_block(x, z0, sg, wpack, bias, ep, y, plane, xplane, cin, cout, taps, dil, co0, 8, 2);
            for (; co0 + 4 <= cout; co0 += 4) dl8_fwd_block(x, z0, sg, wpack, bias, ep, y, plane, xplane, cin, cout, taps, dil, co0, 4, 2);
            for (; co0 < cout; co0++) dl8_fwd_block(x, z0, sg, wpack, bias, ep, y, plane, xplane, cin, cout, taps, dil, co0, 1, 2);
        } else {
            for (; co0 + 8 <= cout; co0 += 8) dl8_fwd_block(x, z0, sg, wpack, bias, ep, y, plane, xplane, cin, cout, taps, dil, co0, 8, 1);
            for (; co0 + 4 <= cout; co0 += 4) dl8_fwd_block(x, z0, sg, wpack, bias, ep, y, plane, xplane, cin, cout, taps, dil, co0, 4, 1);
            for (; co0 < cout; co0++) dl8_fwd_block(x, z0, sg, wpack, bias, ep, y, plane, xplane, cin, cout, taps, dil, co0, 1, 1);
        }
    }
}
