// Generic Winograd / Toom-Cook tile transforms (see winograd_nd.h and docs/ARCHITECTURE.md, "Engine"): the gather,
// transform and scatter steps of the GEMM-based Winograd convolution; the transform-domain products are sgemm calls
// made by the Swift side. Eight tiles are transformed at once, one per lane of an 8-float vector.
#include "winograd_nd.h"
#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include "winograd_nd_tables.h"

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

// The matrices of winograd_nd_tables.h as compile-time constants: the unrolled loops of axis_body then drop the zero
// coefficients and the multiplications by +-1 at compile time instead of testing every coefficient at run time.
typedef void (*axis_fn)(const v8 *in, v8 *out, int outer, int inner);
#define KNOWN_FN(NAME, N, A) \
    static void known_##NAME(const v8 *in, v8 *out, int outer, int inner) { axis_body(in, out, outer, N, inner, A, K_##NAME); }
WGN_KNOWN(KNOWN_FN)

/// One axis of a transform: skipped (1 x 1 identity), a constant-coefficient kernel, or the generic loop over M.
typedef struct { int n, a, skip; const float *M; axis_fn fn; } axis_op;

static axis_op resolve_axis(int n, int a, const float *M) {
    axis_op op = {n, a, n == 1 && a == 1 && M[0] == 1, M, 0};
    if (op.skip) return op;
#define KNOWN_MATCH(NAME, N, A) \
    if (n == (N) && a == (A) && memcmp(M, K_##NAME, sizeof(K_##NAME)) == 0) { op.fn = known_##NAME; return op; }
    WGN_KNOWN(KNOWN_MATCH)
#undef KNOWN_MATCH
    return op;
}

typedef struct { axis_op ax[3]; } transform_plan;

static transform_plan make_plan(const int n[3], const int a[3], const float *M0, const float *M1, const float *M2) {
    transform_plan p = {{resolve_axis(n[0], a[0], M0), resolve_axis(n[1], a[1], M1), resolve_axis(n[2], a[2], M2)}};
    return p;
}

static inline void run_axis(const axis_op *op, const v8 *in, v8 *out, int outer, int inner) {
    if (op->fn) op->fn(in, out, outer, inner);
    else apply_axis(in, out, outer, op->n, inner, op->a, op->M);
}

// Transforms buf (n0, n1, n2) into (a0, a1, a2), axis 2 first; returns the buffer holding the result.
static v8 *apply_all(v8 *buf, v8 *tmp, const transform_plan *tp) {
    v8 *cur = buf, *other = tmp;
    const axis_op *ax = tp->ax;
    int s0 = ax[0].n, s1 = ax[1].n, s2 = ax[2].n;
    if (!ax[2].skip) {
        run_axis(&ax[2], cur, other, s0 * s1, 1);
        s2 = ax[2].a; v8 *t = cur; cur = other; other = t;
    }
    if (!ax[1].skip) {
        run_axis(&ax[1], cur, other, s0, s2);
        s1 = ax[1].a; v8 *t = cur; cur = other; other = t;
    }
    if (!ax[0].skip) {
        run_axis(&ax[0], cur, other, 1, s1 * s2);
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

#if defined(__AVX2__)
/// In-register transpose of the 8 x 8 floats r[0..7] (row l = lane l): r[q][l] <- r[l][q].
static inline __attribute__((always_inline)) void transpose8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20); r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20); r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31); r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31); r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/// Row-wise lane layout of a tile group for an axis 2 without dilation: lane l's patch row (a, b) starts at
/// src[c * chanStride + laneBase[l] + rowOff(a, b)]; bit l of rowOK[a * n1 + b] says whether that row is inside the
/// volume (zero otherwise), xin[l] whether its 8 floats from x0 are inside the row (else xmask[l] picks those that are).
typedef struct {
    long laneBase[8];
    unsigned char rowOK[WGN_MAX_ALPHA * WGN_MAX_ALPHA];
    int xin[8];
    __m256i xmask[8];
} row_lanes;

static void make_row_lanes(int lanes, const long base[8], const int z0[8], const int y0[8], const int x0[8],
                           const int dims[3], const int step[3], int n0, int n1, row_lanes *rl) {
    for (int l = 0; l < 8; l++) {
        rl->laneBase[l] = l < lanes ? base[l] + ((long)z0[l] * dims[1] + y0[l]) * dims[2] + x0[l] : 0;
        rl->xin[l] = l < lanes && x0[l] >= 0 && x0[l] + 8 <= dims[2];
        int mk[8];
        for (int k = 0; k < 8; k++) mk[k] = l < lanes && x0[l] + k >= 0 && x0[l] + k < dims[2] ? -1 : 0;
        rl->xmask[l] = _mm256_loadu_si256((const __m256i *)mk);
    }
    for (int a = 0; a < n0; a++)
        for (int b = 0; b < n1; b++) {
            unsigned ok = 0;
            for (int l = 0; l < lanes; l++) {
                const int z = z0[l] + step[0] * a, y = y0[l] + step[1] * b;
                if (z >= 0 && z < dims[0] && y >= 0 && y < dims[1]) ok |= 1u << l;
            }
            rl->rowOK[a * n1 + b] = (unsigned char)ok;
        }
}

/// The patch rows of one channel (pointer sc = src + c * chanStride) into buf[e] (element-major, lanes in a vector).
static inline void gather_rows(const float *sc, const row_lanes *rl, const int dims[3], const int step[3], const int n[3],
                               v8 *buf) {
    const long hw = (long)dims[1] * dims[2];
    int e = 0;
    for (int a = 0; a < n[0]; a++)
        for (int b = 0; b < n[1]; b++) {
            const long rowOff = (long)(step[0] * a) * hw + (long)(step[1] * b) * dims[2];
            const unsigned ok = rl->rowOK[a * n[1] + b];
            __m256 r[8];
            for (int l = 0; l < 8; l++) {
                if (!((ok >> l) & 1)) r[l] = _mm256_setzero_ps();
                else if (rl->xin[l]) r[l] = _mm256_loadu_ps(sc + rl->laneBase[l] + rowOff);
                else r[l] = _mm256_maskload_ps(sc + rl->laneBase[l] + rowOff, rl->xmask[l]);
            }
            transpose8(r);
            for (int q = 0; q < n[2]; q++) buf[e + q] = (v8)r[q];
            e += n[2];
        }
}
#endif

/// Stores the P transformed points of `lanes` tiles: point p of lane l at d[p * ldP + l].
static inline void store_points(const v8 *res, float *d, int lanes, int P, long ldP) {
    if (lanes == 8) {
        for (int p = 0; p < P; p++) memcpy(d + p * ldP, &res[p], sizeof(v8));
        return;
    }
    for (int p = 0; p < P; p++) {
        const float *r = (const float *)&res[p];
        for (int l = 0; l < lanes; l++) d[p * ldP + l] = r[l];
    }
}

void wgn_gather(const float *src, long sampleStride, long chanStride, int C, const int dims[3],
                const int *org0, const int *org1, const int *org2, const int tiles[3], const int step[3],
                const int n[3], const int alpha[3], const float *M0, const float *M1, const float *M2,
                long t0, long t1, float *dst, long ldP, long ldC) {
    v8 buf[MAXP], tmp[MAXP];
    const transform_plan tp = make_plan(n, alpha, M0, M1, M2);
    const int nvol = n[0] * n[1] * n[2], P = alpha[0] * alpha[1] * alpha[2];
    const long hw = (long)dims[1] * dims[2];
    for (long tb = t0; tb < t1; tb += 8) {
        const int lanes = (int)(t1 - tb < 8 ? t1 - tb : 8);
        long base[8];
        int z0[8], y0[8], x0[8];
        lane_origins(tb, lanes, tiles, sampleStride, org0, org1, org2, base, z0, y0, x0);
#if defined(__AVX2__)
        if (step[2] == 1 && n[2] <= 8) {
            // Rows of 8 floats per lane, transposed in registers (no gather instructions).
            row_lanes rl;
            make_row_lanes(lanes, base, z0, y0, x0, dims, step, n[0], n[1], &rl);
            for (int c = 0; c < C; c++) {
                gather_rows(src + c * chanStride, &rl, dims, step, n, buf);
                store_points(apply_all(buf, tmp, &tp), dst + c * ldC + (tb - t0), lanes, P, ldP);
            }
            continue;
        }
#endif
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
            store_points(apply_all(buf, tmp, &tp), dst + c * ldC + (tb - t0), lanes, P, ldP);
        }
    }
}

/// The inverse of store_points: point p of lane l from s[p * ldP + l], lanes past `lanes` zero.
static inline void load_points(const float *s, v8 *buf, int lanes, int P, long ldP) {
    if (lanes == 8) {
        for (int p = 0; p < P; p++) memcpy(&buf[p], s + p * ldP, sizeof(v8));
        return;
    }
    for (int p = 0; p < P; p++) {
        float *r = (float *)&buf[p];
        for (int l = 0; l < 8; l++) r[l] = l < lanes ? s[p * ldP + l] : 0.0f;
    }
}

void wgn_scatter(const float *src, long ldP, long ldC, int C, float *dst, long sampleStride, long chanStride,
                 const int dims[3], const int *org0, const int *org1, const int *org2, const int tiles[3],
                 const int step[3], const int m[3], const int alpha[3], const float *M0, const float *M1,
                 const float *M2, const float *bias, long t0, long t1) {
    v8 buf[MAXP], tmp[MAXP];
    const transform_plan tp = make_plan(alpha, m, M0, M1, M2);
    const int P = alpha[0] * alpha[1] * alpha[2];
    const long hw = (long)dims[1] * dims[2];
    for (long tb = t0; tb < t1; tb += 8) {
        const int lanes = (int)(t1 - tb < 8 ? t1 - tb : 8);
        long base[8];
        int z0[8], y0[8], x0[8];
        lane_origins(tb, lanes, tiles, sampleStride, org0, org1, org2, base, z0, y0, x0);
#if defined(__AVX2__)
        if (step[2] == 1 && m[2] <= 8) {
            // Per output row: the m2 outputs of the 8 lanes transposed in registers into one row of 8 floats per lane,
            // stored with a mask (the first m2 floats, those inside the volume).
            long laneBase[8];
            __m256i smask[8];
            int full4[8];
            unsigned char rowOK[WGN_MAX_ALPHA * WGN_MAX_ALPHA];
            for (int l = 0; l < 8; l++) {
                laneBase[l] = l < lanes ? base[l] + ((long)z0[l] * dims[1] + y0[l]) * dims[2] + x0[l] : 0;
                int mk[8];
                for (int k = 0; k < 8; k++) mk[k] = l < lanes && k < m[2] && x0[l] + k < dims[2] ? -1 : 0;
                smask[l] = _mm256_loadu_si256((const __m256i *)mk);
                full4[l] = m[2] == 4 && l < lanes && x0[l] + 4 <= dims[2];
            }
            for (int a = 0; a < m[0]; a++)
                for (int bb = 0; bb < m[1]; bb++) {
                    unsigned ok = 0;
                    for (int l = 0; l < lanes; l++)
                        if (z0[l] + step[0] * a < dims[0] && y0[l] + step[1] * bb < dims[1]) ok |= 1u << l;
                    rowOK[a * m[1] + bb] = (unsigned char)ok;
                }
            for (int c = 0; c < C; c++) {
                load_points(src + c * ldC + (tb - t0), buf, lanes, P, ldP);
                const v8 *res = apply_all(buf, tmp, &tp);
                const __m256 bv = _mm256_set1_ps(bias ? bias[c] : 0.0f);
                float *dc = dst + c * chanStride;
                int e = 0;
                for (int a = 0; a < m[0]; a++)
                    for (int bb = 0; bb < m[1]; bb++) {
                        const long rowOff = (long)(step[0] * a) * hw + (long)(step[1] * bb) * dims[2];
                        const unsigned ok = rowOK[a * m[1] + bb];
                        __m256 r[8];
                        for (int q = 0; q < 8; q++) r[q] = q < m[2] ? _mm256_add_ps((__m256)res[e + q], bv) : _mm256_setzero_ps();
                        e += m[2];
                        transpose8(r);
                        for (int l = 0; l < 8; l++) {
                            if (!((ok >> l) & 1)) continue;
                            float *pr = dc + laneBase[l] + rowOff;
                            if (full4[l]) _mm_storeu_ps(pr, _mm256_castps256_ps128(r[l]));
                            else _mm256_maskstore_ps(pr, smask[l], r[l]);
                        }
                    }
            }
            continue;
        }
#endif
        int allInside = lanes == 8;
        for (int l = 0; l < lanes; l++)
            allInside = allInside && z0[l] + step[0] * (m[0] - 1) < dims[0] && y0[l] + step[1] * (m[1] - 1) < dims[1]
                        && x0[l] + step[2] * (m[2] - 1) < dims[2];
        long laneOff[8];
        const long off0 = ((long)z0[0] * dims[1] + y0[0]) * dims[2] + x0[0];
        for (int l = 0; l < lanes; l++) laneOff[l] = base[l] - base[0] + ((long)z0[l] * dims[1] + y0[l]) * dims[2] + x0[l] - off0;
        for (int c = 0; c < C; c++) {
            load_points(src + c * ldC + (tb - t0), buf, lanes, P, ldP);
            const v8 *res = apply_all(buf, tmp, &tp);
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
    const transform_plan tp = make_plan(n, alpha, M0, M1, M2);
    const int nvol = n[0] * n[1] * n[2], P = alpha[0] * alpha[1] * alpha[2];
    for (long l0 = 0; l0 < count; l0 += 8) {
        const int lanes = (int)(count - l0 < 8 ? count - l0 : 8);
        float *fb = (float *)buf;
        if (lanes == 8 && srcLane == 1) {
            for (int e = 0; e < nvol; e++) memcpy(&buf[e], src + l0 + e * srcElem, sizeof(v8));
#if defined(__AVX2__)
        } else if (lanes == 8 && srcElem == 1 && srcLane >= nvol) {
            // Each lane's array is contiguous: rows of 8 elements per lane (masked to the lane's own), transposed in registers.
            const float *s0 = src + l0 * srcLane;
            for (int e0 = 0; e0 < nvol; e0 += 8) {
                int mk[8];
                for (int k = 0; k < 8; k++) mk[k] = e0 + k < nvol ? -1 : 0;
                const __m256i mask = _mm256_loadu_si256((const __m256i *)mk);
                __m256 r[8];
                for (int l = 0; l < 8; l++) r[l] = _mm256_maskload_ps(s0 + l * srcLane + e0, mask);
                transpose8(r);
                for (int q = 0; q < 8 && e0 + q < nvol; q++) buf[e0 + q] = (v8)r[q];
            }
#endif
        } else {
            if (lanes < 8) memset(buf, 0, sizeof(v8) * nvol);
            for (int l = 0; l < lanes; l++) {
                const float *s = src + (l0 + l) * srcLane;
                for (int e = 0; e < nvol; e++) fb[e * 8 + l] = s[e * srcElem];
            }
        }
        const v8 *res = apply_all(buf, tmp, &tp);
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
