// Value-only 2x max pooling (see CKernels.h): 16 output columns per vector, the two input columns of each window
// deinterleaved with two-source shuffles. Same window order and tie / NaN rule as the engine's scalar argmax walk.
#include "CKernels.h"
#include "simd.h"

/// best, replaced by v where v > best or v is NaN and best is not (the first maximum wins ties; NaN sticks). A macro:
/// clang rejected 64-byte vector arguments of an inline function in the baseline clone.
#define TAKE_MAX(best, v) do { \
        const v16i m_ = (v16i)((v) > (best)) | ((v16i)((v) != (v)) & (v16i)((best) == (best))); \
        (best) = (v16)(((v16i)(v) & m_) | ((v16i)(best) & ~m_)); \
    } while (0)

INLINE float take_max1(float best, float v) { return v > best || (v != v && best == best) ? v : best; }

CLONES
void ssk_maxpool2x_values(const float *x, float *y, long p0, long p1, int D, int H, int W, int KD) {
    const int od = KD == 2 ? D / 2 : D, oh = H / 2, ow = W / 2;
    const long ivol = (long)D * H * W, ovol = (long)od * oh * ow;
    for (long p = p0; p < p1; p++) {
        const float *xs = x + p * ivol;
        float *ys = y + p * ovol;
        for (int oz = 0; oz < od; oz++)
            for (int oy = 0; oy < oh; oy++) {
                const float *r[4];
                const long base = ((long)oz * KD * H + 2 * oy) * W;
                r[0] = xs + base; r[1] = r[0] + W;
                r[2] = r[0] + (long)H * W; r[3] = r[2] + W;
                const int rows = KD == 2 ? 4 : 2;
                float *yr = ys + ((long)oz * oh + oy) * ow;
                int ox = 0;
                for (; ox + 16 <= ow; ox += 16) {
                    v16 best = (v16){};
                    for (int k = 0; k < rows; k++) {
                        const v16 a = LOADU(r[k] + 2 * ox), b = LOADU(r[k] + 2 * ox + 16);
                        const v16 ev = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
                        const v16 od_ = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
                        if (k == 0) best = ev;
                        else TAKE_MAX(best, ev);
                        TAKE_MAX(best, od_);
                    }
                    STOREU(yr + ox, best);
                }
                for (; ox < ow; ox++) {
                    float best = r[0][2 * ox];
                    best = take_max1(best, r[0][2 * ox + 1]);
                    for (int k = 1; k < rows; k++) {
                        best = take_max1(best, r[k][2 * ox]);
                        best = take_max1(best, r[k][2 * ox + 1]);
                    }
                    yr[ox] = best;
                }
            }
    }
}

/// 16 ints, unaligned (an index row starts anywhere).
typedef int v16iu __attribute__((vector_size(64), aligned(4)));

/// TAKE_MAX that also carries the index vector: idx takes vi in the lanes where best takes v.
#define TAKE_MAX_AT(best, at, v, vi) do { \
        const v16i m_ = (v16i)((v) > (best)) | ((v16i)((v) != (v)) & (v16i)((best) == (best))); \
        (best) = (v16)(((v16i)(v) & m_) | ((v16i)(best) & ~m_)); \
        (at) = ((vi) & m_) | ((at) & ~m_); \
    } while (0)

CLONES
void ssk_maxpool2x_argmax(const float *x, float *y, int *idx, long p0, long p1, int D, int H, int W, int KD) {
    const int od = KD == 2 ? D / 2 : D, oh = H / 2, ow = W / 2;
    const long ivol = (long)D * H * W, ovol = (long)od * oh * ow;
    const v16i lane2 = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
    for (long p = p0; p < p1; p++) {
        const float *xs = x + p * ivol;
        float *ys = y + p * ovol;
        int *is = idx + p * ovol;
        for (int oz = 0; oz < od; oz++)
            for (int oy = 0; oy < oh; oy++) {
                long off[4];
                const long base = ((long)oz * KD * H + 2 * oy) * W;
                off[0] = base; off[1] = base + W;
                off[2] = base + (long)H * W; off[3] = off[2] + W;
                const int rows = KD == 2 ? 4 : 2;
                const long o0 = ((long)oz * oh + oy) * ow;
                int ox = 0;
                for (; ox + 16 <= ow; ox += 16) {
                    v16 best = (v16){};
                    v16i at = (v16i){};
                    for (int k = 0; k < rows; k++) {
                        const float *r = xs + off[k];
                        const v16 a = LOADU(r + 2 * ox), b = LOADU(r + 2 * ox + 16);
                        const v16 ev = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
                        const v16 od_ = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
                        const v16i ie = lane2 + (int)(off[k] + 2 * ox), io = ie + 1;
                        if (k == 0) { best = ev; at = ie; }
                        else TAKE_MAX_AT(best, at, ev, ie);
                        TAKE_MAX_AT(best, at, od_, io);
                    }
                    STOREU(ys + o0 + ox, best);
                    *(v16iu *)(is + o0 + ox) = at;
                }
                for (; ox < ow; ox++) {
                    long at = off[0] + 2 * ox;
                    float best = xs[at];
                    for (int k = 0; k < rows; k++)
                        for (int e = k == 0 ? 1 : 0; e < 2; e++) {
                            const long i = off[k] + 2 * ox + e;
                            const float v = xs[i];
                            if (v > best || (v != v && best == best)) { best = v; at = i; }
                        }
                    ys[o0 + ox] = best;
                    is[o0 + ox] = (int)at;
                }
            }
    }
}

// 3-wide, stride-2, padding-1 max pooling (ResNet / DeepLab stems): 16 outputs per vector. Output ox reads input columns
// 2ox-1, 2ox, 2ox+1 in that order, one vector each from deinterleaved loads, rows in window order; the first column
// (padding on its left) and the columns whose loads would leave the row are done one output at a time. Values, argmax,
// tie and NaN rule are the engine's window walk's.

/// One output (scalar): the window walk over rows `rows` (offsets, in order) and columns [x0, x1).
INLINE void pool3_one(const float *xs, const long *rows, int nrows, int x0, int x1, float *yo, int *io) {
    long at = rows[0] + x0;
    float best = xs[at];
    for (int k = 0; k < nrows; k++)
        for (int x = x0; x < x1; x++) {
            const long i = rows[k] + x;
            const float v = xs[i];
            if (v > best || (v != v && best == best)) { best = v; at = i; }
        }
    *yo = best;
    if (io) *io = (int)at;
}

/// 16 outputs from ox on (ox >= 1, or ox = 0 with `first`: lane 0 reads column 0 for the padding column -1), rows in
/// window order, columns 2ox-1, 2ox, 2ox+1 per row; the loads read columns 2ox-1 ... 2ox+31 (2ox ... 2ox+31 when first).
INLINE void pool3s2_block(const float *xs, const long *rows, int nrows, int ox, int first, float *yo, int *io, const int ARG) {
    const v16i lane2 = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
    v16 best = (v16){};
    v16i at = (v16i){};
    for (int k = 0; k < nrows; k++) {
        const float *r = xs + rows[k] + 2 * ox;
        const v16 a = LOADU(r), b = LOADU(r + 16);
        const v16 c1 = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        const v16 c2 = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        const v16i i1 = lane2 + (int)(rows[k] + 2 * ox), i2 = i1 + 1;
        v16 c0;
        v16i i0;
        if (first) {
            c0 = __builtin_shufflevector(c2, c1, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
            i0 = __builtin_shufflevector(i2, i1, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
        } else {
            const v16 a0 = LOADU(r - 1), b0 = LOADU(r + 15);
            c0 = __builtin_shufflevector(a0, b0, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            i0 = i1 - 1;
        }
        if (ARG) {
            if (k == 0) { best = c0; at = i0; }
            else TAKE_MAX_AT(best, at, c0, i0);
            TAKE_MAX_AT(best, at, c1, i1);
            TAKE_MAX_AT(best, at, c2, i2);
        } else {
            if (k == 0) best = c0;
            else TAKE_MAX(best, c0);
            TAKE_MAX(best, c1);
            TAKE_MAX(best, c2);
        }
    }
    STOREU(yo, best);
    if (ARG) *(v16iu *)io = at;
}

INLINE void pool3s2_planes(const float *x, float *y, int *idx, long p0, long p1, int D, int H, int W, int KD, const int ARG) {
    const int od = KD == 3 ? (D - 1) / 2 + 1 : D, oh = (H - 1) / 2 + 1, ow = (W - 1) / 2 + 1;
    const long ivol = (long)D * H * W, ovol = (long)od * oh * ow;
    for (long p = p0; p < p1; p++) {
        const float *xs = x + p * ivol;
        float *ys = y + p * ovol;
        int *is = ARG ? idx + p * ovol : 0;
        for (int oz = 0; oz < od; oz++)
            for (int oy = 0; oy < oh; oy++) {
                long rows[9];
                int nrows = 0;
                for (int kz = 0; kz < KD; kz++) {
                    const int iz = KD == 3 ? 2 * oz - 1 + kz : oz;
                    if (iz < 0 || iz >= D) continue;
                    for (int ky = 0; ky < 3; ky++) {
                        const int iy = 2 * oy - 1 + ky;
                        if (iy < 0 || iy >= H) continue;
                        rows[nrows++] = ((long)iz * H + iy) * W;
                    }
                }
                const long o0 = ((long)oz * oh + oy) * ow;
                // ox = 0 reads the padding column -1: with a 32-wide row or more, a first vector whose lane 0 reads
                // column 0 in its place (column 0 is compared again next: a tie, so the walk's result); else scalar. Then
                // vectors while their loads stay inside the row, and one last vector overlapping the previous one (the
                // same values again) when the row's last window ends inside the row (even W).
                int ox = 0;
                if (ow >= 16 && W >= 32) {
                    pool3s2_block(xs, rows, nrows, 0, 1, ys + o0, ARG ? is + o0 : 0, ARG);
                    ox = 16;
                } else {
                    pool3_one(xs, rows, nrows, 0, W < 2 ? W : 2, ys + o0, ARG ? is + o0 : 0);
                    ox = 1;
                }
                for (; ox + 16 <= ow && 2 * ox + 32 <= W; ox += 16)
                    pool3s2_block(xs, rows, nrows, ox, 0, ys + o0 + ox, ARG ? is + o0 + ox : 0, ARG);
                if (ox < ow && ow >= 17 && 2 * ow <= W) {
                    pool3s2_block(xs, rows, nrows, ow - 16, 0, ys + o0 + ow - 16, ARG ? is + o0 + ow - 16 : 0, ARG);
                    ox = ow;
                }
                for (; ox < ow; ox++) {
                    const int x0 = 2 * ox - 1 < 0 ? 0 : 2 * ox - 1, x1 = 2 * ox + 2 > W ? W : 2 * ox + 2;
                    pool3_one(xs, rows, nrows, x0, x1, ys + o0 + ox, ARG ? is + o0 + ox : 0);
                }
            }
    }
}

CLONES
void ssk_maxpool3s2_argmax(const float *x, float *y, int *idx, long p0, long p1, int D, int H, int W, int KD) {
    pool3s2_planes(x, y, idx, p0, p1, D, H, W, KD, 1);
}

CLONES
void ssk_maxpool3s2_values(const float *x, float *y, long p0, long p1, int D, int H, int W, int KD) {
    pool3s2_planes(x, y, 0, p0, p1, D, H, W, KD, 0);
}
