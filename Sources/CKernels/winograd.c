// Winograd F(4x4, 3x3) convolution (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) for
// stride-1 "same" 3x3 and 3x3x3 kernels (see CKernels.h and docs/ARCHITECTURE.md). Each 4x4 output tile is
// A^T [ (G g G^T) (.) (B^T d B) ] A over the 6x6 input tile d: 36 products per tile and channel pair instead of 144.
// A 3x3x3 kernel is the sum over its three depth taps of 3x3 convolutions of the neighbouring input planes, so its
// transform-domain GEMM has K = 3 * Cin rows (depth tap, input channel).
//
// Vectorised over 16 horizontally adjacent tiles: a transformed row is deinterleaved (stride 4) with two-source
// shuffles; the 36 transform-domain GEMMs are register-blocked over 8 output channels x 48 tiles.
#include "CKernels.h"
#include <string.h>
#include "simd.h"

// MARK: - Filter transform

CLONES
void ssk_wino_filter_range(const float *w, float *u, int cin, int cout, int KD, int ci0, int ci1, int flipped) {
    const long K = (long)KD * cin;
    float g[9][cout], t[6][3][cout];
    // Per (input channel, depth tap): gather the cout 3x3 slices, then U = G g G^T with co innermost (vectorised, and
    // each u row [xi][k][0..<cout] is written contiguously). Flipped: the slice of (co, ci, kz) is w[ci][co][KD - 1 - kz]
    // reversed (the kernel of a backward-data pass, read in place).
    for (int ci = ci0; ci < ci1; ci++)
        for (int kz = 0; kz < KD; kz++) {
            const long k = (long)kz * cin + ci;
            if (flipped) {
                for (int co = 0; co < cout; co++) {
                    const float *src = w + (((long)ci * cout + co) * KD + (KD - 1 - kz)) * 9;
                    for (int j = 0; j < 9; j++) g[j][co] = src[8 - j];
                }
            } else {
                for (int co = 0; co < cout; co++) {
                    const float *src = w + (((long)co * cin + ci) * KD + kz) * 9;
                    for (int j = 0; j < 9; j++) g[j][co] = src[j];
                }
            }
            for (int b = 0; b < 3; b++)  // t = G g (rows of G: 1/4; -1/6 (1, 1, 1); -1/6 (1, -1, 1); 1/24 (1, 2, 4); 1/24 (1, -2, 4); e3)
                for (int co = 0; co < cout; co++) {
                    const float g0 = g[b][co], g1 = g[3 + b][co], g2 = g[6 + b][co];
                    t[0][b][co] = g0 * 0.25f;
                    t[1][b][co] = (g0 + g1 + g2) * (-1.0f / 6);
                    t[2][b][co] = (g0 - g1 + g2) * (-1.0f / 6);
                    t[3][b][co] = (g0 + 2 * g1 + 4 * g2) * (1.0f / 24);
                    t[4][b][co] = (g0 - 2 * g1 + 4 * g2) * (1.0f / 24);
                    t[5][b][co] = g2;
                }
            for (int i = 0; i < 6; i++) {  // U = t G^T
                float *r0 = u + ((long)(i * 6) * K + k) * cout;
                const long s = K * cout;
                for (int co = 0; co < cout; co++) {
                    const float g0 = t[i][0][co], g1 = t[i][1][co], g2 = t[i][2][co];
                    r0[co] = g0 * 0.25f;
                    r0[s + co] = (g0 + g1 + g2) * (-1.0f / 6);
                    r0[2 * s + co] = (g0 - g1 + g2) * (-1.0f / 6);
                    r0[3 * s + co] = (g0 + 2 * g1 + 4 * g2) * (1.0f / 24);
                    r0[4 * s + co] = (g0 - 2 * g1 + 4 * g2) * (1.0f / 24);
                    r0[5 * s + co] = g2;
                }
            }
        }
}

void ssk_wino_filter(const float *w, float *u, int cin, int cout, int KD) {
    ssk_wino_filter_range(w, u, cin, cout, KD, 0, cin, 0);
}

/// e0..e3 = columns 0..3 (stride 4) of the 64 consecutive floats a0..a3: e_c[j] = a[4j + c] (declares e0..e3).
#define DEINTERLEAVE4(a0, a1, a2, a3, e0, e1, e2, e3) \
    const v16 s0_ = __builtin_shufflevector(a0, a1, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29); \
    const v16 s1_ = __builtin_shufflevector(a0, a1, 2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31); \
    const v16 s2_ = __builtin_shufflevector(a2, a3, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29); \
    const v16 s3_ = __builtin_shufflevector(a2, a3, 2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31); \
    const v16 e0 = __builtin_shufflevector(s0_, s2_, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23); \
    const v16 e1 = __builtin_shufflevector(s0_, s2_, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31); \
    const v16 e2 = __builtin_shufflevector(s1_, s3_, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23); \
    const v16 e3 = __builtin_shufflevector(s1_, s3_, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31)

// MARK: - Input transform

/// The six outputs of B^T d for d0..d5 (one 1-D transform, 16 tiles per vector).
INLINE void bt6(v16 d0, v16 d1, v16 d2, v16 d3, v16 d4, v16 d5, v16 o[6]) {
    const v16 four = (v16){} + 4.0f, five = (v16){} + 5.0f, two = (v16){} + 2.0f;
    o[0] = (d0 * four - d2 * five) + d4;
    o[1] = (d3 + d4) - (d1 + d2) * four;
    o[2] = (d4 - d3) + (d1 - d2) * four;
    o[3] = (d4 - d2) + (d3 - d1) * two;
    o[4] = (d4 - d2) - (d3 - d1) * two;
    o[5] = (d1 * four - d3 * five) + d5;
}

/// Transforms tile row `ty` of one input plane (H x W) into v[xi * ldxi + t] for the 16 * TXg tiles t of the row
/// (tiles past the row's end get finite values the caller ignores). rb is 6 * (64 * TXg + 16) floats of scratch.
/// With UP (a compile-time 1 or 2), the H x W plane is the nearest x2 upsampling of `plane` (H / 2 x W / 2, H and W
/// even), read in place: row y is source row y / 2, column x source column x / 2 (the same values as the upsampled copy).
INLINE void in_row_up(const float *plane, int H, int W, int ty, int TXg, float *rb, float *v, long ldxi, const int UP) {
    const long wb = 64L * TXg + 16;
    const float *r[6];
    for (int a = 0; a < 6; a++) {
        const int yy = 4 * ty - 1 + a;
        r[a] = yy >= 0 && yy < H ? plane + (long)(yy / UP) * (W / UP) : NULL;
    }
    // Along H: t_i[x] = sum_a BT[i][a] row_a[x], stored at rb[i][1 + x] with zeros at x = -1 and x >= W.
    for (int x = 0; x < W; x += 16) {
        v16 d[6];
        const int n = W - x < 16 ? W - x : 16;
        for (int a = 0; a < 6; a++) {
            if (!r[a]) { d[a] = (v16){}; continue; }
            if (UP == 2) {
                typedef float v8u __attribute__((vector_size(32), aligned(4)));
                v8u h;
                if (n == 16) h = *(const v8u *)(r[a] + x / 2);
                else { float tmp[8] = {0}; memcpy(tmp, r[a] + x / 2, sizeof(float) * (n / 2)); h = *(const v8u *)tmp; }
                d[a] = __builtin_shufflevector(h, h, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
                continue;
            }
            if (n == 16) d[a] = LOADU(r[a] + x);
            else { float tmp[16] = {0}; memcpy(tmp, r[a] + x, sizeof(float) * n); d[a] = LOADU(tmp); }
        }
        v16 o[6];
        bt6(d[0], d[1], d[2], d[3], d[4], d[5], o);
        for (int i = 0; i < 6; i++) STOREU(rb + i * wb + 1 + x, o[i]);
    }
    const long tail = 1 + (long)((W + 15) / 16) * 16;
    for (int i = 0; i < 6; i++) {
        rb[i * wb] = 0;
        for (long j = 1 + W; j < tail; j++) rb[i * wb + j] = 0;
        memset(rb + i * wb + tail, 0, sizeof(float) * (wb - tail));
    }
    // Along W: deinterleave the tile columns (stride 4) and transform again.
    for (int g = 0; g < TXg; g++) {
        for (int i = 0; i < 6; i++) {
            const float *p = rb + i * wb + 64 * g;
            const v16 a0 = LOADU(p), a1 = LOADU(p + 16), a2 = LOADU(p + 32), a3 = LOADU(p + 48), a4 = LOADU(p + 64);
            DEINTERLEAVE4(a0, a1, a2, a3, e0, e1, e2, e3);
            const v16 e4 = __builtin_shufflevector(e0, a4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
            const v16 e5 = __builtin_shufflevector(e1, a4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17);
            v16 o[6];
            bt6(e0, e1, e2, e3, e4, e5, o);
            for (int k = 0; k < 6; k++) STOREU(v + (i * 6 + k) * ldxi + 16 * g, o[k]);
        }
    }
}

INLINE void in_row(const float *plane, int H, int W, int ty, int TXg, float *rb, float *v, long ldxi) {
    in_row_up(plane, H, W, ty, TXg, rb, v, ldxi, 1);
}

/// Input transform of tile rows [r0, r1) into v[xi][kz * cin + ci][t] (row r's tiles from (r - r0) * TX, ld floats per
/// (xi, k) row); channels below c1 come from x [N][c1][D][H][W], the rest from x2 [N][cin - c1][D][H][W]; depth taps outside
/// the volume give zeros. With UP == 2 (compile-time), x (c1 == cin, no x2) is [N][cin][D / UPD][H / 2][W / 2] and is read as
/// its nearest upsampling (x2 in H and W, UPD in depth).
INLINE void in_rows_up(const float *x, const float *x2, int c1, float *vbuf, float *rowbuf, int cin, int D, int H, int W, int KD,
                       long ld, long r0, long r1, const int UP, int UPD) {
    const int TY = (H + 3) / 4, TX = (W + 3) / 4, TXg = (TX + 15) / 16;
    const long ldv = (long)KD * cin * ld, hw = (long)(H / UP) * (W / UP);
    const int Ds = UP == 2 ? D / UPD : D;
    for (long r = r0; r < r1; r++) {
        const long n = r / ((long)D * TY), rem = r - n * D * TY;
        const int z = (int)(rem / TY), ty = (int)(rem - (long)z * TY);
        const long off = (r - r0) * TX;
        for (int kz = 0; kz < KD; kz++) {
            const int iz = z + kz - KD / 2;
            for (int ci = 0; ci < cin; ci++) {
                float *vd = vbuf + ((long)kz * cin + ci) * ld + off;
                if (iz < 0 || iz >= D) {
                    for (int xi = 0; xi < 36; xi++) memset(vd + xi * ldv, 0, sizeof(float) * 16 * TXg);
                    continue;
                }
                if (UP == 2) {
                    in_row_up(x + ((n * cin + ci) * Ds + iz / UPD) * hw, H, W, ty, TXg, rowbuf, vd, ldv, 2);
                    continue;
                }
                const float *plane = ci < c1 ? x + ((n * c1 + ci) * D + iz) * hw : x2 + ((n * (cin - c1) + ci - c1) * D + iz) * hw;
                in_row(plane, H, W, ty, TXg, rowbuf, vd, ldv);
            }
        }
    }
}

INLINE void in_rows(const float *x, const float *x2, int c1, float *vbuf, float *rowbuf, int cin, int D, int H, int W, int KD,
                    long ld, long r0, long r1) {
    in_rows_up(x, x2, c1, vbuf, rowbuf, cin, D, H, W, KD, ld, r0, r1, 1, 1);
}

// MARK: - Transform-domain products

/// m[co][t] = sum_k u[k][co] * v[k][t] for CB channels from co0 and XB vectors of tiles from t0.
INLINE void gemm_block(const float *u, const float *v, float *m, long K, int cout, long ld, int co0, long t0,
                       const int CB, const int XB) {
    v16 acc[8][3];
    for (int cb = 0; cb < CB; cb++)
        for (int xb = 0; xb < XB; xb++) acc[cb][xb] = (v16){};
    const float *ur = u + co0, *vr = v + t0;
    for (long k = 0; k < K; k++, ur += cout, vr += ld) {
        v16 x[3];
        for (int xb = 0; xb < XB; xb++) x[xb] = LOADU(vr + 16 * xb);
        for (int cb = 0; cb < CB; cb++) {
            const float w = ur[cb];
            for (int xb = 0; xb < XB; xb++) acc[cb][xb] += x[xb] * w;
        }
    }
    for (int cb = 0; cb < CB; cb++)
        for (int xb = 0; xb < XB; xb++) STOREU(m + (long)(co0 + cb) * ld + t0 + 16 * xb, acc[cb][xb]);
}

INLINE void gemm_cols(const float *u, const float *v, float *m, long K, int cout, long ld, int co0, long nt, const int CB) {
    long t0 = 0;
    for (; t0 + 48 <= nt; t0 += 48) gemm_block(u, v, m, K, cout, ld, co0, t0, CB, 3);
    if (nt - t0 == 32) gemm_block(u, v, m, K, cout, ld, co0, t0, CB, 2);
    else if (nt - t0 == 16) gemm_block(u, v, m, K, cout, ld, co0, t0, CB, 1);
}

/// m[co][t] = sum_k u[k][co] * v[k][t] for the channels [c0, c1) of cout and nt (a multiple of 16) tiles.
INLINE void gemm(const float *u, const float *v, float *m, long K, int cout, long ld, long nt, int c0, int c1) {
    int co0 = c0;
    for (; co0 + 8 <= c1; co0 += 8) gemm_cols(u, v, m, K, cout, ld, co0, nt, 8);
    switch (c1 - co0) {
    case 7: gemm_cols(u, v, m, K, cout, ld, co0, nt, 7); break;
    case 6: gemm_cols(u, v, m, K, cout, ld, co0, nt, 6); break;
    case 5: gemm_cols(u, v, m, K, cout, ld, co0, nt, 5); break;
    case 4: gemm_cols(u, v, m, K, cout, ld, co0, nt, 4); break;
    case 3: gemm_cols(u, v, m, K, cout, ld, co0, nt, 3); break;
    case 2: gemm_cols(u, v, m, K, cout, ld, co0, nt, 2); break;
    case 1: gemm_cols(u, v, m, K, cout, ld, co0, nt, 1); break;
    default: break;
    }
}

// MARK: - Output transform

/// The four outputs of A^T m for m0..m5.
INLINE void at6(v16 m0, v16 m1, v16 m2, v16 m3, v16 m4, v16 m5, v16 o[4]) {
    const v16 two = (v16){} + 2.0f, four = (v16){} + 4.0f, eight = (v16){} + 8.0f;
    const v16 p12 = m1 + m2, n12 = m1 - m2, p34 = m3 + m4, n34 = m3 - m4;
    o[0] = (m0 + p12) + p34;
    o[1] = n12 + n34 * two;
    o[2] = p12 + p34 * four;
    o[3] = (n12 + n34 * eight) + m5;
}

/// A^T m A for the 16 tiles at m[xi * ldxi] (one tile per lane), plus bias, then the epilogue of channel co (bias, then
/// the eval batch norm and ReLU as separately rounded steps, as the direct kernels): q[r] holds output row r of the 16
/// tiles as 64 consecutive pixels (tile L's four at 4L).
INLINE void out_tiles(const float *m, long ldxi, float bias, const ssk_epilogue *ep, int co, v16 q[4][4]) {
    const float sc = ep && ep->scale ? ep->scale[co] : 1.0f, sh = ep && ep->shift ? ep->shift[co] : 0.0f;
    v16 s[4][6];  // A^T along H
    for (int k = 0; k < 6; k++) {
        v16 o[4];
        at6(LOADU(m + (0 * 6 + k) * ldxi), LOADU(m + (1 * 6 + k) * ldxi), LOADU(m + (2 * 6 + k) * ldxi), LOADU(m + (3 * 6 + k) * ldxi),
            LOADU(m + (4 * 6 + k) * ldxi), LOADU(m + (5 * 6 + k) * ldxi), o);
        for (int r = 0; r < 4; r++) s[r][k] = o[r];
    }
    for (int r = 0; r < 4; r++) {
        v16 e[4];
        at6(s[r][0], s[r][1], s[r][2], s[r][3], s[r][4], s[r][5], e);
        for (int c = 0; c < 4; c++) {
            v16 v = e[c] + bias;
            if (ep) {
                if (ep->scale) {
                    const v16 mm = v * sc;
                    v = mm + sh;
                }
                if (ep->relu) v = MAX0(v);
            }
            e[c] = v;
        }
        // Interleave the four tile columns back into 64 consecutive pixels.
        const v16 l01 = __builtin_shufflevector(e[0], e[1], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const v16 h01 = __builtin_shufflevector(e[0], e[1], 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        const v16 l23 = __builtin_shufflevector(e[2], e[3], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const v16 h23 = __builtin_shufflevector(e[2], e[3], 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        q[r][0] = __builtin_shufflevector(l01, l23, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
        q[r][1] = __builtin_shufflevector(l01, l23, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
        q[r][2] = __builtin_shufflevector(h01, h23, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
        q[r][3] = __builtin_shufflevector(h01, h23, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    }
}

/// Output tile row `ty` of channel co from m[xi * ldxi + t] (16 * TXg tiles of the row), with bias and epilogue.
INLINE void out_row(const float *m, long ldxi, int TXg, float *plane, int H, int W, int ty, float bias, const ssk_epilogue *ep, int co) {
    for (int g = 0; g < TXg; g++) {
        v16 q[4][4];
        out_tiles(m + 16 * g, ldxi, bias, ep, co, q);
        for (int r = 0; r < 4; r++) {
            const int yy = 4 * ty + r;
            if (yy >= H) break;
            float *dst = plane + (long)yy * W + 64 * g;
            const int n = W - 64 * g;
            if (n >= 64) {
                for (int b = 0; b < 4; b++) STOREU(dst + 16 * b, q[r][b]);
            } else {
                float tmp[64];
                for (int b = 0; b < 4; b++) STOREU(tmp + 16 * b, q[r][b]);
                memcpy(dst, tmp, sizeof(float) * n);
            }
        }
    }
}

// MARK: - Packed small planes
//
// On a plane W = 4, 8, 16 or 32 wide a tile row has TX = W / 4 tiles: the row-wise transforms above would fill 4 to 8
// of their 16 lanes. Here R = 64 / W consecutive tile rows of a block (a "group": exactly 16 tiles, which may come from
// different samples and planes) share one vector; lane L = j * TX + t is tile t of the group's row j, the tile order of
// the row-wise layout, so the products and the transform-domain buffers are unchanged. Every lane runs the same
// operations as in in_row / out_row: the values are bit-identical to the row-wise transforms.

/// Tile rows per packed group on a plane W wide (0: W is not 4, 8, 16 or 32, take the row-wise transforms).
INLINE int packed_rows(int W) { return W == 4 || W == 8 || W == 16 || W == 32 ? 64 / W : 0; }

/// Lane masks of a group with TX tiles per row: `first` clears lanes of a row's first tile (its left neighbour column
/// is padding), `last` those of a row's last tile (its right neighbour column is padding).
INLINE void packed_masks(int TX, v16i *first, v16i *last) {
    for (int L = 0; L < 16; L++) {
        (*first)[L] = L % TX == 0 ? 0 : -1;
        (*last)[L] = L % TX == TX - 1 ? 0 : -1;
    }
}

/// Input transform of one group: rows j < nr read `planes[j]` (NULL: outside the volume, zeros) at tile row `tys[j]`;
/// rows j >= nr give zero tiles. Writes v[xi * ldxi + L] for the 16 tiles. With UP == 2 (compile-time) a plane is the
/// nearest x2 upsampling of an H / 2 x W / 2 plane, read in place (as in_row_up).
INLINE void in_group(const float *const *planes, const int *tys, int nr, int H, int W, float *v, long ldxi, const v16i *first,
                     const v16i *last, const int UP) {
    float d[6][64] __attribute__((aligned(64)));
    const int R = 64 / W;
    for (int j = 0; j < R; j++) {
        const float *pl = j < nr ? planes[j] : NULL;
        for (int a = 0; a < 6; a++) {
            float *dst = d[a] + j * W;
            const int yy = pl ? 4 * tys[j] - 1 + a : -1;
            if (yy < 0 || yy >= H) { memset(dst, 0, sizeof(float) * W); continue; }
            if (UP == 2) {
                const float *src = pl + (long)(yy / 2) * (W / 2);
                for (int q = 0; q < W; q++) dst[q] = src[q / 2];
            } else {
                memcpy(dst, pl + (long)yy * W, sizeof(float) * W);
            }
        }
    }
    v16 t[6][4];  // along H, 64 pixels (the group's R rows of W) at a time
    for (int q = 0; q < 4; q++) {
        v16 o[6];
        bt6(LOADU(d[0] + 16 * q), LOADU(d[1] + 16 * q), LOADU(d[2] + 16 * q), LOADU(d[3] + 16 * q), LOADU(d[4] + 16 * q),
            LOADU(d[5] + 16 * q), o);
        for (int i = 0; i < 6; i++) t[i][q] = o[i];
    }
    const v16 zero = (v16){};
    for (int i = 0; i < 6; i++) {  // along W: e_c[L] = pixel 4t + c of row j; its neighbours -1 and 4 from the next lanes
        DEINTERLEAVE4(t[i][0], t[i][1], t[i][2], t[i][3], e0, e1, e2, e3);
        const v16 left = __builtin_shufflevector(zero, e3, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
        const v16 right = __builtin_shufflevector(e0, zero, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
        v16 o[6];
        bt6((v16)((v16i)left & *first), e0, e1, e2, e3, (v16)((v16i)right & *last), o);
        for (int k = 0; k < 6; k++) STOREU(v + (i * 6 + k) * ldxi, o[k]);
    }
}

/// Output transform of one group for channel co from m[xi * ldxi + L]: rows j < nr go to `planes[j]` (channel co's plane of
/// that row's sample and depth) at tile row `tys[j]`, with bias and epilogue as out_row.
INLINE void out_group(const float *m, long ldxi, float *const *planes, const int *tys, int nr, int H, int W, float bias,
                      const ssk_epilogue *ep, int co) {
    v16 q[4][4];
    out_tiles(m, ldxi, bias, ep, co, q);
    for (int r = 0; r < 4; r++) {
        float row[64] __attribute__((aligned(64)));  // pixel 4L + c = row j's pixel 4t + c: R rows of W
        for (int b = 0; b < 4; b++) STOREU(row + 16 * b, q[r][b]);
        for (int j = 0; j < nr; j++) {
            const int yy = 4 * tys[j] + r;
            if (yy < H) memcpy(planes[j] + (long)yy * W, row + j * W, sizeof(float) * W);
        }
    }
}

/// (sample, depth, tile row) of tile row r of the volume.
INLINE void tile_row(long r, int D, int TY, long *n, int *z, int *ty) {
    *n = r / ((long)D * TY);
    const long rem = r - *n * D * TY;
    *z = (int)(rem / TY);
    *ty = (int)(rem - (long)*z * TY);
}

/// The rows of the packed group starting at tile row r0 + g * R, of the rows [r0, r1): their count (returned, <= R) and
/// each row's (sample, depth, tile row).
INLINE int group_rows(long r0, long r1, long g, int R, int D, int TY, long *ns, int *zs, int *tys) {
    const long first = r0 + g * R;
    const int nr = (int)(r1 - first < R ? r1 - first : R);
    for (int j = 0; j < nr; j++) tile_row(first + j, D, TY, &ns[j], &zs[j], &tys[j]);
    return nr;
}

// MARK: - Units

long ssk_wino_tiles_stride(int W, long rows) {
    const long tx = (W + 3) / 4, txg = (tx + 15) / 16;
    const long need = (rows - 1) * tx + 16 * txg;
    return (need + 15) / 16 * 16;
}

/// ssk_wino_rows_split, or with UP == 2 ssk_wino_rows_up (x read as its nearest upsampling; see in_rows_up), for the output
/// channels [co0, co1); `packed` lets planes of packed_rows() width take the packed transforms (same values).
INLINE void wino_rows(const float *x, const float *x2, int c1, const float *u, const float *bias, const ssk_epilogue *ep, float *y,
                      float *vbuf, float *mbuf, float *rowbuf, int cin, int cout, int D, int H, int W, int KD, long r0, long r1,
                      const int UP, int UPD, int co0, int co1, int packed) {
    const int TY = (H + 3) / 4, TX = (W + 3) / 4, TXg = (TX + 15) / 16;
    const long ld = ssk_wino_tiles_stride(W, r1 - r0), K = (long)KD * cin, hw = (long)H * W;
    const long ldv = K * ld, ldm = (long)cout * ld;
    const int R = packed ? packed_rows(W) : 0;
    if (R) {
        const long groups = (r1 - r0 + R - 1) / R, nt = 16 * groups;
        v16i first, last;
        packed_masks(TX, &first, &last);
        const float *planes[16];
        float *outs[16];
        int tys[16];
        // Input transform: v[xi][kz * cin + ci][t], one group of R tile rows (16 tiles) at a time.
        for (long g = 0; g < groups; g++) {
            long ns[16];
            int zs[16];
            const int nr = group_rows(r0, r1, g, R, D, TY, ns, zs, tys);
            for (int kz = 0; kz < KD; kz++)
                for (int ci = 0; ci < cin; ci++) {
                    for (int j = 0; j < nr; j++) {
                        const int iz = zs[j] + kz - KD / 2;
                        const long n = ns[j];
                        if (iz < 0 || iz >= D) planes[j] = NULL;
                        else if (UP == 2) planes[j] = x + ((n * cin + ci) * (D / UPD) + iz / UPD) * (hw / 4);
                        else planes[j] = ci < c1 ? x + ((n * c1 + ci) * D + iz) * hw : x2 + ((n * (cin - c1) + ci - c1) * D + iz) * hw;
                    }
                    in_group(planes, tys, nr, H, W, vbuf + ((long)kz * cin + ci) * ld + 16 * g, ldv, &first, &last, UP);
                }
        }
        for (int xi = 0; xi < 36; xi++) gemm(u + xi * K * cout, vbuf + xi * ldv, mbuf + xi * ldm, K, cout, ld, nt, co0, co1);
        for (long g = 0; g < groups; g++) {
            long ns[16];
            int zs[16];
            const int nr = group_rows(r0, r1, g, R, D, TY, ns, zs, tys);
            for (int co = co0; co < co1; co++) {
                for (int j = 0; j < nr; j++) outs[j] = y + ((ns[j] * cout + co) * D + zs[j]) * hw;
                out_group(mbuf + (long)co * ld + 16 * g, ldm, outs, tys, nr, H, W, bias ? bias[co] : 0.0f, ep, co);
            }
        }
        return;
    }
    // Input transform: v[xi][kz * cin + ci][t].
    in_rows_up(x, x2, c1, vbuf, rowbuf, cin, D, H, W, KD, ld, r0, r1, UP, UPD);
    // Transform-domain products: m[xi][co][t] = sum_k u[xi][k][co] * v[xi][k][t].
    for (int xi = 0; xi < 36; xi++) gemm(u + xi * K * cout, vbuf + xi * ldv, mbuf + xi * ldm, K, cout, ld, ld, co0, co1);
    // Output transform.
    for (long r = r0; r < r1; r++) {
        const long n = r / ((long)D * TY), rem = r - n * D * TY;
        const int z = (int)(rem / TY), ty = (int)(rem - (long)z * TY);
        const long off = (r - r0) * TX;
        for (int co = co0; co < co1; co++)
            out_row(mbuf + (long)co * ld + off, ldm, TXg, y + ((n * cout + co) * D + z) * hw, H, W, ty, bias ? bias[co] : 0.0f, ep, co);
    }
}

CLONES
void ssk_wino_rows_split(const float *x, const float *x2, int c1, const float *u, const float *bias, const ssk_epilogue *ep, float *y,
                         float *vbuf, float *mbuf, float *rowbuf, int cin, int cout, int D, int H, int W, int KD, long r0, long r1) {
    wino_rows(x, x2, c1, u, bias, ep, y, vbuf, mbuf, rowbuf, cin, cout, D, H, W, KD, r0, r1, 1, 1, 0, cout, 1);
}

CLONES
void ssk_wino_rows_up(const float *x, const float *u, const float *bias, const ssk_epilogue *ep, float *y, float *vbuf, float *mbuf,
                      float *rowbuf, int cin, int cout, int D, int H, int W, int KD, int UPD, long r0, long r1) {
    wino_rows(x, NULL, cin, u, bias, ep, y, vbuf, mbuf, rowbuf, cin, cout, D, H, W, KD, r0, r1, 2, UPD, 0, cout, 1);
}

CLONES
void ssk_wino_rows_range(const float *x, const float *x2, int c1, const float *u, const float *bias, const ssk_epilogue *ep,
                         float *y, float *vbuf, float *mbuf, float *rowbuf, int cin, int cout, int D, int H, int W, int KD, int UPD,
                         long r0, long r1, int co0, int co1, int packed) {
    if (UPD > 0) wino_rows(x, NULL, cin, u, bias, ep, y, vbuf, mbuf, rowbuf, cin, cout, D, H, W, KD, r0, r1, 2, UPD, co0, co1, packed);
    else wino_rows(x, x2, c1, u, bias, ep, y, vbuf, mbuf, rowbuf, cin, cout, D, H, W, KD, r0, r1, 1, 1, co0, co1, packed);
}

void ssk_wino_rows(const float *x, const float *u, const float *bias, const ssk_epilogue *ep, float *y, float *vbuf, float *mbuf,
                   float *rowbuf, int cin, int cout, int D, int H, int W, int KD, long r0, long r1) {
    ssk_wino_rows_split(x, NULL, cin, u, bias, ep, y, vbuf, mbuf, rowbuf, cin, cout, D, H, W, KD, r0, r1);
}

// MARK: - Weight gradient
//
// The forward tile is Y = A^T [U (.) V] A with U = G g G^T, V = B^T d B; its adjoint in g is dg = G^T [(A dY A^T) (.) V] G.
// Summed over tiles: dU[xi][co][k] = sum_t M[xi][co][t] V[xi][k][t] with M = A dY A^T per tile (36 long dot-product
// GEMMs over the tiles), then dW = G^T dU G per (co, k) (ssk_wino_wgrad_filter).

/// The six outputs of A c for the four values c0..c3 of one tile column (A = (A^T)^T, rows 1 0 0 0; 1 1 1 1; 1 -1 1 -1;
/// 1 2 4 8; 1 -2 4 -8; 0 0 0 1).
INLINE void a6(v16 c0, v16 c1, v16 c2, v16 c3, v16 o[6]) {
    const v16 two = (v16){} + 2.0f, four = (v16){} + 4.0f, eight = (v16){} + 8.0f;
    const v16 p02 = c0 + c2, p13 = c1 + c3, q02 = c0 + c2 * four, q13 = c1 * two + c3 * eight;
    o[0] = c0;
    o[1] = p02 + p13;
    o[2] = p02 - p13;
    o[3] = q02 + q13;
    o[4] = q02 - q13;
    o[5] = c3;
}

/// M = A dY A^T for the 16 * TXg tiles of tile row `ty` of one gy plane (H x W) into m[xi * ldxi + t] (tiles and pixels
/// past the plane's end count as zero gradient).
INLINE void gy_row(const float *plane, int H, int W, int ty, int TXg, float *m, long ldxi) {
    for (int g = 0; g < TXg; g++) {
        v16 w6[4][6];  // A along W, per row of the tile
        for (int a = 0; a < 4; a++) {
            const int yy = 4 * ty + a;
            const long n = W - 64L * g;
            if (yy >= H || n <= 0) { for (int j = 0; j < 6; j++) w6[a][j] = (v16){}; continue; }
            const float *p = plane + (long)yy * W + 64 * g;
            float tmp[64];
            if (n < 64) {
                for (int i = 0; i < 64; i++) tmp[i] = i < n ? p[i] : 0.0f;
                p = tmp;
            }
            const v16 a0 = LOADU(p), a1 = LOADU(p + 16), a2 = LOADU(p + 32), a3 = LOADU(p + 48);
            DEINTERLEAVE4(a0, a1, a2, a3, e0, e1, e2, e3);
            a6(e0, e1, e2, e3, w6[a]);
        }
        for (int j = 0; j < 6; j++) {  // A along H
            v16 o[6];
            a6(w6[0][j], w6[1][j], w6[2][j], w6[3][j], o);
            for (int i = 0; i < 6; i++) STOREU(m + (i * 6 + j) * ldxi + 16 * g, o[i]);
        }
    }
}

/// du[co][k] += sum_t m[co][t] * v[k][t] over nt (a multiple of 16) tiles, CB x KB outputs at a time.
INLINE void wgemm_block(const float *m, const float *v, float *du, long K, long ld, long nt, int co0, long k0, const int CB, const int KB) {
    v16 acc[4][4];
    for (int c = 0; c < CB; c++) for (int k = 0; k < KB; k++) acc[c][k] = (v16){};
    for (long t = 0; t < nt; t += 16) {
        v16 mv[4], vv[4];
        for (int c = 0; c < CB; c++) mv[c] = LOADU(m + (co0 + c) * ld + t);
        for (int k = 0; k < KB; k++) vv[k] = LOADU(v + (k0 + k) * ld + t);
        for (int c = 0; c < CB; c++) for (int k = 0; k < KB; k++) acc[c][k] += mv[c] * vv[k];
    }
    for (int c = 0; c < CB; c++)
        for (int k = 0; k < KB; k++) {
            typedef float v8 __attribute__((vector_size(32)));
            typedef float v4 __attribute__((vector_size(16)));
            const v16 a = acc[c][k];
            const v8 h = __builtin_shufflevector(a, a, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(a, a, 8, 9, 10, 11, 12, 13, 14, 15);
            const v4 q = __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
            du[(co0 + c) * K + k0 + k] += (q[0] + q[2]) + (q[1] + q[3]);
        }
}

CLONES
void ssk_wino_wgrad_rows(const float *x, const float *gy, float *du, float *vbuf, float *mbuf, float *rowbuf,
                         int cin, int cout, int D, int H, int W, int KD, long r0, long r1) {
    const int TY = (H + 3) / 4, TX = (W + 3) / 4, TXg = (TX + 15) / 16;
    const long ld = ssk_wino_tiles_stride(W, r1 - r0), K = (long)KD * cin, hw = (long)H * W;
    const long ldv = K * ld, ldm = (long)cout * ld;
    const long written = (r1 - r0 - 1) * TX + 16L * TXg, nt = (written + 15) / 16 * 16;
    in_rows(x, NULL, cin, vbuf, rowbuf, cin, D, H, W, KD, ld, r0, r1);
    for (long r = r0; r < r1; r++) {
        const long n = r / ((long)D * TY), rem = r - n * D * TY;
        const int z = (int)(rem / TY), ty = (int)(rem - (long)z * TY);
        const long off = (r - r0) * TX;
        for (int co = 0; co < cout; co++)
            gy_row(gy + ((n * cout + co) * D + z) * hw, H, W, ty, TXg, mbuf + (long)co * ld + off, ldm);
    }
    // Tiles in [written, nt) hold stale values of an earlier block: zero their gradient side.
    for (int xi = 0; xi < 36; xi++)
        for (int co = 0; co < cout; co++)
            for (long t = written; t < nt; t++) mbuf[xi * ldm + co * ld + t] = 0.0f;
    for (int xi = 0; xi < 36; xi++) {
        const float *m = mbuf + xi * ldm, *v = vbuf + xi * ldv;
        float *d = du + (long)xi * cout * K;
        int co0 = 0;
        for (; co0 + 4 <= cout; co0 += 4) {
            long k0 = 0;
            for (; k0 + 4 <= K; k0 += 4) wgemm_block(m, v, d, K, ld, nt, co0, k0, 4, 4);
            for (; k0 < K; k0++) wgemm_block(m, v, d, K, ld, nt, co0, k0, 4, 1);
        }
        for (; co0 < cout; co0++)
            for (long k0 = 0; k0 < K; k0++) wgemm_block(m, v, d, K, ld, nt, co0, k0, 1, 1);
    }
}

void ssk_wino_wgrad_filter(const float *du, float *dw, int cin, int cout, int KD) {
    static const double G[6][3] = {{0.25, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                   {1.0 / 24, 2.0 / 24, 4.0 / 24}, {1.0 / 24, -2.0 / 24, 4.0 / 24}, {0, 0, 1}};
    const long K = (long)KD * cin;
    for (int co = 0; co < cout; co++)
        for (int kz = 0; kz < KD; kz++)
            for (int ci = 0; ci < cin; ci++) {
                const long k = (long)kz * cin + ci;
                double t[6][3];  // dU G
                for (int i = 0; i < 6; i++)
                    for (int b = 0; b < 3; b++) {
                        double s = 0;
                        for (int j = 0; j < 6; j++) s += (double)du[((long)(i * 6 + j) * cout + co) * K + k] * G[j][b];
                        t[i][b] = s;
                    }
                float *o = dw + (((long)co * cin + ci) * KD + kz) * 9;
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++) {
                        double s = 0;
                        for (int i = 0; i < 6; i++) s += G[i][a] * t[i][b];
                        o[a * 3 + b] = (float)s;
                    }
            }
}

// MARK: - Weight gradient on packed small planes
//
// Planes 4, 8, 16 or 32 wide (packed_rows): the whole batch's tiles at once, in groups of 16 (R = 64 / W tile rows per
// vector), v[xi][k][t] and m[xi][co][t] with `ldt` floats per row; the 36 products dU[xi] = M[xi] V[xi]^T are GEMMs
// along the tiles (the caller's sgemm), then dW = G^T dU G (ssk_wino_wgrad_filter_range).

/// M = A dY A^T of one group of channel plane pointers (rows j < nr at tile rows tys[j]; rows j >= nr and pixels past
/// the plane give zero gradient) into m[xi * ldxi + L] (the packed counterpart of gy_row).
INLINE void gy_group(const float *const *planes, const int *tys, int nr, int H, int W, float *m, long ldxi) {
    v16 w6[4][6];  // A along W, per row of the tiles
    for (int a = 0; a < 4; a++) {
        float d[64] __attribute__((aligned(64)));
        for (int j = 0; j < 64 / W; j++) {
            const int yy = j < nr ? 4 * tys[j] + a : H;
            if (yy < H) memcpy(d + j * W, planes[j] + (long)yy * W, sizeof(float) * W);
            else memset(d + j * W, 0, sizeof(float) * W);
        }
        DEINTERLEAVE4(LOADU(d), LOADU(d + 16), LOADU(d + 32), LOADU(d + 48), e0, e1, e2, e3);
        a6(e0, e1, e2, e3, w6[a]);
    }
    for (int j = 0; j < 6; j++) {  // A along H
        v16 o[6];
        a6(w6[0][j], w6[1][j], w6[2][j], w6[3][j], o);
        for (int i = 0; i < 6; i++) STOREU(m + (i * 6 + j) * ldxi, o[i]);
    }
}

CLONES
void ssk_wino_small_input(const float *x, float *v, int cin, int D, int H, int W, int KD, long rows, long ldt, int k0, int k1) {
    const int R = packed_rows(W), TY = (H + 3) / 4, TX = W / 4;
    const long K = (long)KD * cin, ldv = K * ldt, hw = (long)H * W, groups = (rows + R - 1) / R;
    v16i first, last;
    packed_masks(TX, &first, &last);
    for (long g = 0; g < groups; g++) {
        long ns[16];
        int zs[16], tys[16];
        const float *planes[16];
        const int nr = group_rows(0, rows, g, R, D, TY, ns, zs, tys);
        for (int k = k0; k < k1; k++) {
            const int kz = k / cin, ci = k - kz * cin;
            for (int j = 0; j < nr; j++) {
                const int iz = zs[j] + kz - KD / 2;
                planes[j] = iz < 0 || iz >= D ? NULL : x + ((ns[j] * cin + ci) * D + iz) * hw;
            }
            in_group(planes, tys, nr, H, W, v + k * ldt + 16 * g, ldv, &first, &last, 1);
        }
    }
}

CLONES
void ssk_wino_small_grad(const float *gy, float *m, int cout, int D, int H, int W, long rows, long ldt, int co0, int co1) {
    const int R = packed_rows(W), TY = (H + 3) / 4;
    const long ldm = (long)cout * ldt, hw = (long)H * W, groups = (rows + R - 1) / R;
    for (long g = 0; g < groups; g++) {
        long ns[16];
        int zs[16], tys[16];
        const float *planes[16];
        const int nr = group_rows(0, rows, g, R, D, TY, ns, zs, tys);
        for (int co = co0; co < co1; co++) {
            for (int j = 0; j < nr; j++) planes[j] = gy + ((ns[j] * cout + co) * D + zs[j]) * hw;
            gy_group(planes, tys, nr, H, W, m + co * ldt + 16 * g, ldm);
        }
    }
}

/// ssk_wino_wgrad_filter for the output channels [co0, co1), up to 128 values k of one (co, xi) at a time (the same
/// double-precision sums in the same order per weight: bit-identical, and vectorised along k).
CLONES
void ssk_wino_wgrad_filter_range(const float *du, float *dw, int cin, int cout, int KD, int co0, int co1) {
    static const double G[6][3] = {{0.25, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                   {1.0 / 24, 2.0 / 24, 4.0 / 24}, {1.0 / 24, -2.0 / 24, 4.0 / 24}, {0, 0, 1}};
    enum { KC = 128 };
    const long K = (long)KD * cin;
    double t[6][3][KC], o[KC];
    for (int co = co0; co < co1; co++)
        for (long k0 = 0; k0 < K; k0 += KC) {
            const int n = (int)(K - k0 < KC ? K - k0 : KC);
            for (int i = 0; i < 6; i++)
                for (int b = 0; b < 3; b++) {
                    double *tr = t[i][b];
                    for (int k = 0; k < n; k++) tr[k] = 0;
                    for (int j = 0; j < 6; j++) {
                        const float *src = du + ((long)(i * 6 + j) * cout + co) * K + k0;
                        const double gj = G[j][b];
                        for (int k = 0; k < n; k++) tr[k] += (double)src[k] * gj;
                    }
                }
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) {
                    for (int k = 0; k < n; k++) o[k] = 0;
                    for (int i = 0; i < 6; i++) {
                        const double gi = G[i][a];
                        const double *tr = t[i][b];
                        for (int k = 0; k < n; k++) o[k] += gi * tr[k];
                    }
                    for (int k = 0; k < n; k++) {
                        const long kk = k0 + k, kz = kk / cin, ci = kk - kz * cin;
                        dw[(((long)co * cin + ci) * KD + kz) * 9 + a * 3 + b] = (float)o[k];
                    }
                }
        }
}
