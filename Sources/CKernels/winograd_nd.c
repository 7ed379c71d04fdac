// Generic Winograd / Toom-Cook tile transforms (see winograd_nd.h and docs/ARCHITECTURE.md, "Engine"): the gather,
// transform and scatter steps of the GEMM-based Winograd convolution; the transform-domain products are sgemm calls
// made by the Swift side. Eight tiles are transformed at once, one per lane of an 8-float vector.
#include "winograd_nd.h"
#include <string.h>

typedef float v8 __attribute__((vector_size(32)));

#define MAXP (WGN_MAX_ALPHA * WGN_MAX_ALPHA * WGN_MAX_ALPHA)

static inline v8 splat(float t) { return (v8){t, t, t, t, t, t, t, t}; }

// Applies `M` (a x n, row-major) along the middle axis of `in` shaped (outer, n, inner) into `out` (outer, a, inner).
// Inlined with constant n and a for the common transform sizes (the loops unroll; zero coefficients are skipped).
static inline __attribute__((always_inline)) void axis_body(const v8 *in, v8 *out, int outer, int n, int inner, int a,
                                                             const float *M) {
    for (int o = 0; o < outer; o++)
        for (int q = 0; q < inner; q++) {
            v8 col[WGN_MAX_ALPHA];
            for (int j = 0; j < n; j++) col[j] = in[((long)o * n + j) * inner + q];
            for (int i = 0; i < a; i++) {
                v8 acc = splat(0);
                for (int j = 0; j < n; j++) {
                    const float t = M[i * n + j];
                    if (t != 0) acc += splat(t) * col[j];
                }
                out[((long)o * a + i) * inner + q] = acc;
            }
        }
}

#define AXIS_CASE(N, A) case (N) * 16 + (A): axis_body(in, out, outer, N, inner, A, M); return;

static void apply_axis(const v8 *in, v8 *out, int outer, int n, int inner, int a, const float *M) {
    switch (n * 16 + a) {
        AXIS_CASE(6, 6) AXIS_CASE(5, 6) AXIS_CASE(6, 2) AXIS_CASE(2, 6) AXIS_CASE(6, 5)
        AXIS_CASE(8, 8) AXIS_CASE(5, 8) AXIS_CASE(8, 4) AXIS_CASE(4, 8) AXIS_CASE(8, 5)
        AXIS_CASE(3, 6) AXIS_CASE(6, 4) AXIS_CASE(4, 6) AXIS_CASE(6, 3)
        AXIS_CASE(3, 4) AXIS_CASE(4, 2) AXIS_CASE(2, 4) AXIS_CASE(4, 3)
        default: axis_body(in, out, outer, n, inner, a, M);
    }
}

// Transforms buf (n0, n1, n2) into (a0, a1, a2), axis 2 first; returns the buffer holding the result.
static v8 *apply_all(v8 *buf, v8 *tmp, const int n[3], const int a[3], const float *M0, const float *M1, const float *M2) {
    v8 *cur = buf, *other = tmp;
    int s0 = n[0], s1 = n[1], s2 = n[2];
    if (!(n[2] == 1 && a[2] == 1 && M2[0] == 1)) {
        apply_axis(cur, other, s0 * s1, s2, 1, a[2], M2);
        s2 = a[2]; v8 *t = cur; cur = other; other = t;
    }
    if (!(n[1] == 1 && a[1] == 1 && M1[0] == 1)) {
        apply_axis(cur, other, s0, s1, s2, a[1], M1);
        s1 = a[1]; v8 *t = cur; cur = other; other = t;
    }
    if (!(n[0] == 1 && a[0] == 1 && M0[0] == 1)) {
        apply_axis(cur, other, 1, s0, s1 * s2, a[0], M0);
        v8 *t = cur; cur = other; other = t;
    }
    return cur;
}

// Decodes tile number t into its sample and per-axis tile indices.
static inline void decode(long t, const int tiles[3], long *s, int *i0, int *i1, int *i2) {
    const long per = (long)tiles[0] * tiles[1] * tiles[2];
    *s = t / per;
    long r = t - *s * per;
    *i0 = (int)(r / ((long)tiles[1] * tiles[2]));
    r -= (long)*i0 * tiles[1] * tiles[2];
    *i1 = (int)(r / tiles[2]);
    *i2 = (int)(r - (long)*i1 * tiles[2]);
}

// The sample offset and per-axis origin of each of the `lanes` tiles starting at tile number tb.
static void lane_origins(long tb, int lanes, const int tiles[3], long sampleStride, const int *org0, const int *org1,
                         const int *org2, long base[8], int z0[8], int y0[8], int x0[8]) {
    for (int l = 0; l < lanes; l++) {
        long s; int i0, i1, i2;
        decode(tb + l, tiles, &s, &i0, &i1, &i2);
        base[l] = s * sampleStride;
        z0[l] = org0[i0]; y0[l] = org1[i1]; x0[l] = org2[i2];
    }
}

void wgn_gather(const float *src, long sampleStride, long chanStride, int C, const int dims[3],
                const int *org0, const int *org1, const int *org2, const int tiles[3], const int step[3],
                const int n[3], const int alpha[3], const float *M0, const float *M1, const float *M2,
                long t0, long t1, float *dst, long ldP, long ldC) {
    v8 buf[MAXP], tmp[MAXP];
    const int nvol = n[0] * n[1] * n[2], P = alpha[0] * alpha[1] * alpha[2];
    const long hw = (long)dims[1] * dims[2];
    for (long tb = t0; tb < t1; tb += 8) {
        const int lanes = (int)(t1 - tb < 8 ? t1 - tb : 8);
        long base[8];
        int z0[8], y0[8], x0[8];
        lane_origins(tb, lanes, tiles, sampleStride, org0, org1, org2, base, z0, y0, x0);
        // Whether a lane's whole patch is inside the volume (no bounds checks in the gather then).
        int inside[8];
        for (int l = 0; l < lanes; l++)
            inside[l] = z0[l] >= 0 && z0[l] + step[0] * (n[0] - 1) < dims[0] && y0[l] >= 0 && y0[l] + step[1] * (n[1] - 1) < dims[1]
                        && x0[l] >= 0 && x0[l] + step[2] * (n[2] - 1) < dims[2];
        int allInside = lanes == 8;
        long laneOff[8];
        for (int l = 0; l < lanes; l++) {
            allInside = allInside && inside[l];
            laneOff[l] = base[l] - base[0] + ((long)z0[l] * dims[1] + y0[l]) * dims[2] + x0[l] - (((long)z0[0] * dims[1] + y0[0]) * dims[2] + x0[0]);
        }
        const long off0 = ((long)z0[0] * dims[1] + y0[0]) * dims[2] + x0[0];
        for (int c = 0; c < C; c++) {
            float *fb = (float *)buf;
            if (allInside) {
                const float *sc = src + base[0] + off0 + c * chanStride;
                int e = 0;
                for (int a = 0; a < n[0]; a++)
                    for (int b = 0; b < n[1]; b++) {
                        const long rowOff = (long)(step[0] * a) * hw + (long)(step[1] * b) * dims[2];
                        for (int q = 0; q < n[2]; q++, e++) {
                            const float *pq = sc + rowOff + step[2] * q;
                            float *f = fb + e * 8;
                            for (int l = 0; l < 8; l++) f[l] = pq[laneOff[l]];
                        }
                    }
            } else {
            if (lanes < 8) memset(buf, 0, sizeof(v8) * nvol);
            for (int l = 0; l < lanes; l++) {
                const float *sc = src + base[l] + c * chanStride;
                int e = 0;
                if (inside[l]) {
                    for (int a = 0; a < n[0]; a++) {
                        const float *pz = sc + (long)(z0[l] + step[0] * a) * hw;
                        for (int b = 0; b < n[1]; b++) {
                            const float *py = pz + (long)(y0[l] + step[1] * b) * dims[2] + x0[l];
                            for (int q = 0; q < n[2]; q++, e++) fb[e * 8 + l] = py[step[2] * q];
                        }
                    }
                } else {
                    for (int a = 0; a < n[0]; a++) {
                        const int z = z0[l] + step[0] * a;
                        const int zin = z >= 0 && z < dims[0];
                        for (int b = 0; b < n[1]; b++) {
                            const int y = y0[l] + step[1] * b;
                            const int yin = zin && y >= 0 && y < dims[1];
                            const float *py = sc + ((long)z * dims[1] + y) * dims[2];
                            for (int q = 0; q < n[2]; q++, e++) {
                                const int x = x0[l] + step[2] * q;
                                fb[e * 8 + l] = (yin && x >= 0 && x < dims[2]) ? py[x] : 0.0f;
                            }
                        }
                    }
                }
            }
            }
            const v8 *res = apply_all(buf, tmp, n, alpha, M0, M1, M2);
            float *d = dst + c * ldC + (tb - t0);
            if (lanes == 8) {
                for (int p = 0; p < P; p++) memcpy(d + p * ldP, &res[p], sizeof(v8));
            } else {
                for (int p = 0; p < P; p++) {
                    const float *r = (const float *)&res[p];
                    for (int l = 0; l < lanes; l++) d[p * ldP + l] = r[l];
                }
            }
        }
    }
}

void wgn_scatter(const float *src, long ldP, long ldC, int C, float *dst, long sampleStride, long chanStride,
                 const int dims[3], const int *org0, const int *org1, const int *org2, const int tiles[3],
                 const int step[3], const int m[3], const int alpha[3], const float *M0, const float *M1,
                 const float *M2, const float *bias, long t0, long t1) {
    v8 buf[MAXP], tmp[MAXP];
    const int P = alpha[0] * alpha[1] * alpha[2];
    const long hw = (long)dims[1] * dims[2];
    for (long tb = t0; tb < t1; tb += 8) {
        const int lanes = (int)(t1 - tb < 8 ? t1 - tb : 8);
        long base[8];
        int z0[8], y0[8], x0[8];
        lane_origins(tb, lanes, tiles, sampleStride, org0, org1, org2, base, z0, y0, x0);
        int allInside = lanes == 8;
        for (int l = 0; l < lanes; l++)
            allInside = allInside && z0[l] + step[0] * (m[0] - 1) < dims[0] && y0[l] + step[1] * (m[1] - 1) < dims[1]
                        && x0[l] + step[2] * (m[2] - 1) < dims[2];
        long laneOff[8];
        const long off0 = ((long)z0[0] * dims[1] + y0[0]) * dims[2] + x0[0];
        for (int l = 0; l < lanes; l++) laneOff[l] = base[l] - base[0] + ((long)z0[l] * dims[1] + y0[l]) * dims[2] + x0[l] - off0;
        for (int c = 0; c < C; c++) {
            const float *s = src + c * ldC + (tb - t0);
            if (lanes == 8) {
                for (int p = 0; p < P; p++) memcpy(&buf[p], s + p * ldP, sizeof(v8));
            } else {
                for (int p = 0; p < P; p++) {
                    float *r = (float *)&buf[p];
                    for (int l = 0; l < 8; l++) r[l] = l < lanes ? s[p * ldP + l] : 0.0f;
                }
            }
            const v8 *res = apply_all(buf, tmp, alpha, m, M0, M1, M2);
            const float *fr = (const float *)res;
            const float b = bias ? bias[c] : 0.0f;
            if (allInside) {
                float *dc = dst + base[0] + off0 + c * chanStride;
                int e = 0;
                for (int a = 0; a < m[0]; a++)
                    for (int bb = 0; bb < m[1]; bb++) {
                        const long rowOff = (long)(step[0] * a) * hw + (long)(step[1] * bb) * dims[2];
                        for (int q = 0; q < m[2]; q++, e++) {
                            float *pq = dc + rowOff + step[2] * q;
                            const float *f = fr + e * 8;
                            for (int l = 0; l < 8; l++) pq[laneOff[l]] = f[l] + b;
                        }
                    }
                continue;
            }
            for (int l = 0; l < lanes; l++) {
                float *dc = dst + base[l] + c * chanStride;
                int e = 0;
                for (int a = 0; a < m[0]; a++) {
                    const int z = z0[l] + step[0] * a;
                    for (int bb = 0; bb < m[1]; bb++) {
                        const int y = y0[l] + step[1] * bb;
                        float *py = dc + (long)z * hw + (long)y * dims[2];
                        const int rowIn = z < dims[0] && y < dims[1];
                        for (int q = 0; q < m[2]; q++, e++) {
                            const int x = x0[l] + step[2] * q;
                            if (rowIn && x < dims[2]) py[x] = fr[e * 8 + l] + b;
                        }
                    }
                }
            }
        }
    }
}

void wgn_arrays(const float *src, long srcLane, long srcElem, long count, const int n[3], const int alpha[3],
                const float *M0, const float *M1, const float *M2, float *dst, long dstLane, long dstElem) {
    v8 buf[MAXP], tmp[MAXP];
    const int nvol = n[0] * n[1] * n[2], P = alpha[0] * alpha[1] * alpha[2];
    for (long l0 = 0; l0 < count; l0 += 8) {
        const int lanes = (int)(count - l0 < 8 ? count - l0 : 8);
        float *fb = (float *)buf;
        if (lanes == 8 && srcLane == 1) {
            for (int e = 0; e < nvol; e++) memcpy(&buf[e], src + l0 + e * srcElem, sizeof(v8));
        } else {
            if (lanes < 8) memset(buf, 0, sizeof(v8) * nvol);
            for (int l = 0; l < lanes; l++) {
                const float *s = src + (l0 + l) * srcLane;
                for (int e = 0; e < nvol; e++) fb[e * 8 + l] = s[e * srcElem];
            }
        }
        const v8 *res = apply_all(buf, tmp, n, alpha, M0, M1, M2);
        const float *fr = (const float *)res;
        if (lanes == 8 && dstLane == 1) {
            for (int p = 0; p < P; p++) memcpy(dst + l0 + p * dstElem, &res[p], sizeof(v8));
            continue;
        }
        for (int l = 0; l < lanes; l++) {
            float *d = dst + (l0 + l) * dstLane;
            for (int p = 0; p < P; p++) d[p * dstElem] = fr[p * 8 + l];
        }
    }
}
