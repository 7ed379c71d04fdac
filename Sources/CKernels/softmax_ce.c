// Fused softmax cross-entropy (see include/softmax_ce.h): one pass over the logits per 16 positions, the class axis
// walked with stride S, no one-hot tensor, the gradient written in the same pass when asked for.
#include <string.h>
#include "CKernels.h"
#include "simd.h"

typedef double v8d __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));

#define SEL(m, a, b) ((v16)(((v16i)(a) & (m)) | ((v16i)(b) & ~(m))))

// The helpers are macros (GNU statement expressions): clang rejects 64-byte vector arguments and returns of a
// function, even an always-inline one, in the baseline clone of target_clones.

/// The first n (1...16) floats at p, zeros in the other lanes.
#define LOAD_N(p, n) ({ \
        const float *p_ = (p); const int n_ = (n); v16 v_; \
        if (n_ == 16) v_ = LOADU(p_); \
        else { float t_[16] = {0}; memcpy(t_, p_, (size_t)n_ * sizeof(float)); memcpy(&v_, t_, sizeof v_); } \
        v_; })

/// Stores the first n (1...16) lanes of v at p.
#define STORE_N(p, v, n) do { \
        float *p_ = (p); const v16 v_ = (v); const int n_ = (n); \
        if (n_ == 16) STOREU(p_, v_); \
        else { float t_[16]; memcpy(t_, &v_, sizeof t_); memcpy(p_, t_, (size_t)n_ * sizeof(float)); } \
    } while (0)

/// e^x per lane (Cephes expf: x = n ln2 + r, |r| <= ln2 / 2, degree-7 polynomial); x is clamped below at -87.3 (the
/// smallest normal result), NaN stays NaN. Callers pass x <= 0.
#define EXP16(xin) ({ \
        v16 x_ = (xin); \
        const v16 lo_ = (v16){} - 87.33654f; \
        x_ = SEL(x_ < lo_, lo_, x_); \
        const v16 t_ = x_ * 1.44269504088896341f; \
        const v16 r0_ = t_ + 12582912.0f;              /* 1.5 * 2^23: round to nearest in the low mantissa bits */ \
        const v16 n_ = r0_ - 12582912.0f; \
        const v16i ni_ = (v16i)r0_ - 0x4B400000; \
        v16 r_ = x_ - n_ * 0.693359375f; \
        r_ = r_ - n_ * -2.12194440e-4f; \
        v16 p_ = (v16){} + 1.9875691500e-4f; \
        p_ = p_ * r_ + 1.3981999507e-3f; \
        p_ = p_ * r_ + 8.3334519073e-3f; \
        p_ = p_ * r_ + 4.1665795894e-2f; \
        p_ = p_ * r_ + 1.6666665459e-1f; \
        p_ = p_ * r_ + 5.0000001201e-1f; \
        p_ = p_ * (r_ * r_) + r_ + 1.0f; \
        p_ * (v16)((ni_ + 127) << 23); })

/// ln(s) per lane for s >= 1 (Cephes logf: s = 2^e (1 + f), degree-9 polynomial); NaN and inf give NaN.
#define LOG16(sin) ({ \
        const v16 s_ = (sin); \
        const v16i bits_ = (v16i)s_; \
        v16 e_ = __builtin_convertvector((bits_ >> 23) - 127, v16); \
        const v16 m_ = (v16)((bits_ & 0x007FFFFF) | 0x3F800000);   /* [1, 2) */ \
        const v16i big_ = m_ >= 1.41421356237f; \
        const v16 x_ = SEL(big_, m_ * 0.5f - 1.0f, m_ - 1.0f); \
        e_ = SEL(big_, e_ + 1.0f, e_); \
        const v16 z_ = x_ * x_; \
        v16 y_ = (v16){} + 7.0376836292e-2f; \
        y_ = y_ * x_ - 1.1514610310e-1f; \
        y_ = y_ * x_ + 1.1676998740e-1f; \
        y_ = y_ * x_ - 1.2420140846e-1f; \
        y_ = y_ * x_ + 1.4249322787e-1f; \
        y_ = y_ * x_ - 1.6668057665e-1f; \
        y_ = y_ * x_ + 2.0000714765e-1f; \
        y_ = y_ * x_ - 2.4999993993e-1f; \
        y_ = y_ * x_ + 3.3333331174e-1f; \
        y_ = y_ * x_ * z_; \
        y_ = y_ + e_ * -2.12194440e-4f; \
        y_ = y_ - 0.5f * z_; \
        v16 r_ = x_ + y_; \
        r_ = r_ + e_ * 0.693359375f; \
        r_ + (s_ - s_); })

/// Adds the 16 lanes of v as doubles into acc[0..1].
#define ADD_LANES(acc, v) do { \
        const v16 v_ = (v); \
        const v8f a_ = __builtin_shufflevector(v_, v_, 0, 1, 2, 3, 4, 5, 6, 7); \
        const v8f b_ = __builtin_shufflevector(v_, v_, 8, 9, 10, 11, 12, 13, 14, 15); \
        (acc)[0] += __builtin_convertvector(a_, v8d); \
        (acc)[1] += __builtin_convertvector(b_, v8d); \
    } while (0)

/// Sum of acc[0..1] in a fixed order.
#define HSUM_D(acc) ({ \
        const v8d s_ = (acc)[0] + (acc)[1]; \
        ((s_[0] + s_[4]) + (s_[1] + s_[5])) + ((s_[2] + s_[6]) + (s_[3] + s_[7])); })

/// Per-position weight w = (cw ? cw[t] : 1) * (vw ? vw : 1) for the 16 targets ti; lanes outside live are 0.
#define WEIGHTS16(ti, cw, vw, K, len, live) ({ \
        v16 w_ = (v16){} + 1.0f; \
        if (cw) { \
            v16 cwv_ = (v16){}; \
            for (int c_ = 0; c_ < (K); c_++) cwv_ = SEL((ti) == c_, (v16){} + (cw)[c_], cwv_); \
            w_ = cwv_; \
        } \
        if (vw) w_ = w_ * LOAD_N((vw), (len)); \
        SEL((live), w_, (v16){}); })

/// Sample n and positions [s0, s1) of row r (rps rows per sample of S positions).
#define ROW_RANGE(r, rps, S) \
    const long n = (r) / (rps), s0 = ((r) % (rps)) * SSK_CE_ROW, s1 = s0 + SSK_CE_ROW < (S) ? s0 + SSK_CE_ROW : (S)

/// Live lanes (1...16) of the group of positions from s in a row ending at s1.
#define GROUP_LEN(s, s1) ((s1) - (s) < 16 ? (int)((s1) - (s)) : 16)

/// The group of positions at s of sample n: `len` live lanes, their mask `live` and integer targets `ti`; adds the
/// count of targets outside 0..<K to bad.
#define GROUP_TARGETS(target, n, S, s, s1, K, bad) \
    const int len = GROUP_LEN(s, s1); \
    const v16i live = lane_index < len; \
    const v16i ti = __builtin_convertvector(LOAD_N((target) + (n) * (S) + (s), len), v16i); \
    (bad) += COUNT_BAD(ti, (K), live)

/// Per-lane maximum over the K classes of the 16 positions at s (class planes S apart from xs).
#define MAX_OVER_CLASSES(xs, S, s, K, len) ({ \
        v16 m_ = LOAD_N((xs) + (s), (len)); \
        for (int c_ = 1; c_ < (K); c_++) { const v16 v_ = LOAD_N((xs) + c_ * (S) + (s), (len)); m_ = SEL(v_ >= m_, v_, m_); } \
        m_; })

static const v16i lane_index = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/// Targets outside 0..<K among the live lanes.
#define COUNT_BAD(ti, K, live) ({ \
        const v16i bad_ = (((ti) < 0) | ((ti) >= (K))) & (live); \
        long c_ = 0; \
        for (int i_ = 0; i_ < 16; i_++) c_ += bad_[i_] != 0; \
        c_; })

CLONES
long ssk_softmax_ce_rows(const float *x, const float *target, const float *cw, const float *vw, int K, long S,
                         long r0, long r1, double *partial, float *nll, float *grad, float scale, int onehot) {
    const long rps = (S + SSK_CE_ROW - 1) / SSK_CE_ROW;
    long bad = 0;
    for (long r = r0; r < r1; r++) {
        ROW_RANGE(r, rps, S);
        const float *xs = x + n * K * S;
        float *gs = grad ? grad + n * K * S : NULL;
        v8d acc[2] = {{0}, {0}};
        for (long s = s0; s < s1; s += 16) {
            GROUP_TARGETS(target, n, S, s, s1, K, bad);
            const v16 m = MAX_OVER_CLASSES(xs, S, s, K, len);
            v16 sum = (v16){}, xt = (v16){};
            for (int c = 0; c < K; c++) {
                const v16 v = LOAD_N(xs + c * S + s, len);
                const v16 e = EXP16(v - m);
                sum = sum + e;
                xt = SEL(ti == c, v, xt);
                if (gs) STORE_N(gs + c * S + s, e, len);
            }
            const v16 ls = LOG16(sum) + m;
            const v16 nl = ls - xt;
            const v16 w = WEIGHTS16(ti, cw, vw ? vw + n * S + s : NULL, K, len, live);
            if (partial) ADD_LANES(acc, SEL(live, w * nl, (v16){}));
            if (nll) STORE_N(nll + n * S + s, nl, len);
            if (gs) {
                const v16 inv = 1.0f / sum, ws = w * scale;
                for (int c = 0; c < K; c++) {
                    const v16 p = LOAD_N(gs + c * S + s, len) * inv;
                    const v16 g = onehot ? (p - SEL(ti == c, (v16){} + 1.0f, (v16){})) * ws : p;
                    STORE_N(gs + c * S + s, g, len);
                }
            }
        }
        if (partial) partial[r] = HSUM_D(acc);
    }
    return bad;
}

CLONES
void ssk_softmax_ce_backward_rows(const float *p, const float *target, const float *g, float *gx, int K, long S,
                                  long r0, long r1) {
    const long rps = (S + SSK_CE_ROW - 1) / SSK_CE_ROW;
    for (long r = r0; r < r1; r++) {
        ROW_RANGE(r, rps, S);
        for (long s = s0; s < s1; s += 16) {
            const int len = GROUP_LEN(s, s1);
            const v16i ti = __builtin_convertvector(LOAD_N(target + n * S + s, len), v16i);
            const v16 gv = LOAD_N(g + n * S + s, len);
            for (int c = 0; c < K; c++) {
                const long o = (n * K + c) * S + s;
                const v16 d = LOAD_N(p + o, len) - SEL(ti == c, (v16){} + 1.0f, (v16){});
                STORE_N(gx + o, d * gv, len);
            }
        }
    }
}

CLONES
long ssk_ce_weight_rows(const float *target, const float *cw, const float *vw, int K, long S, long r0, long r1,
                        double *partial) {
    const long rps = (S + SSK_CE_ROW - 1) / SSK_CE_ROW;
    long bad = 0;
    for (long r = r0; r < r1; r++) {
        ROW_RANGE(r, rps, S);
        v8d acc[2] = {{0}, {0}};
        for (long s = s0; s < s1; s += 16) {
            GROUP_TARGETS(target, n, S, s, s1, K, bad);
            ADD_LANES(acc, WEIGHTS16(ti, cw, vw ? vw + n * S + s : NULL, K, len, live));
        }
        partial[r] = HSUM_D(acc);
    }
    return bad;
}

/// Softmax of the 16 positions at s of sample n into p_out[c] (K vectors, 16 lanes each), and the per-lane sum.
/// The class loop reads the logits twice (max, then exp); p_out holds exp(x_c - m) / sum.
#define SOFTMAX16(xs, S, s, K, len, p_out) do { \
        const v16 m_ = MAX_OVER_CLASSES((xs), (S), (s), (K), (len)); \
        v16 sum_ = (v16){}; \
        for (int c_ = 0; c_ < (K); c_++) { (p_out)[c_] = EXP16(LOAD_N((xs) + c_ * (S) + (s), (len)) - m_); sum_ = sum_ + (p_out)[c_]; } \
        const v16 inv_ = 1.0f / sum_; \
        for (int c_ = 0; c_ < (K); c_++) (p_out)[c_] = (p_out)[c_] * inv_; \
    } while (0)

CLONES
long ssk_softmax_dice_rows(const float *x, const float *target, const float *vw, int K, long S, long r0, long r1,
                           double *sums, float *prob) {
    v16 scratch[K];
    v8d accs[6 * K];
    const long rps = (S + SSK_CE_ROW - 1) / SSK_CE_ROW;
    long bad = 0;
    for (long r = r0; r < r1; r++) {
        ROW_RANGE(r, rps, S);
        const float *xs = x + n * K * S;
        double *rs = sums + r * K * 3;
        for (int c = 0; c < 3 * K; c++) rs[c] = 0;
        for (int c = 0; c < K; c++) {
            // Per class: 16-lane double accumulators of tp, sum p, sum y.
            v8d *acc = accs + 6 * c;
            for (int i = 0; i < 6; i++) acc[i] = (v8d){0};
        }
        for (long s = s0; s < s1; s += 16) {
            GROUP_TARGETS(target, n, S, s, s1, K, bad);
            SOFTMAX16(xs, S, s, K, len, scratch);
            const v16 w = vw ? LOAD_N(vw + n * S + s, len) : SEL(live, (v16){} + 1.0f, (v16){});
            for (int c = 0; c < K; c++) {
                const v16 p = scratch[c];
                if (prob) STORE_N(prob + (n * K + c) * S + s, p, len);
                const v16 pm = SEL(live, p * w, (v16){});                       // p * m
                const v16 ym = SEL(ti == c, w, (v16){});                        // y * m
                v8d *acc = accs + 6 * c;
                ADD_LANES(acc, pm * ym);
                ADD_LANES(acc + 2, pm);
                ADD_LANES(acc + 4, ym);
            }
        }
        for (int c = 0; c < K; c++) {
            const v8d *acc = accs + 6 * c;
            rs[3 * c] = HSUM_D(acc);
            rs[3 * c + 1] = HSUM_D(acc + 2);
            rs[3 * c + 2] = HSUM_D(acc + 4);
        }
    }
    return bad;
}

CLONES
void ssk_softmax_dice_backward_rows(const float *p, const float *target, const float *vw, const float *gtp,
                                    const float *gps, float *gx, int K, long S, long r0, long r1) {
    v16 scratch[K];
    const long rps = (S + SSK_CE_ROW - 1) / SSK_CE_ROW;
    for (long r = r0; r < r1; r++) {
        ROW_RANGE(r, rps, S);
        for (long s = s0; s < s1; s += 16) {
            const int len = GROUP_LEN(s, s1);
            const v16i ti = __builtin_convertvector(LOAD_N(target + n * S + s, len), v16i);
            const v16 w = vw ? LOAD_N(vw + n * S + s, len) : (v16){} + 1.0f;
            v16 dot = (v16){};
            for (int c = 0; c < K; c++) {
                // d(loss)/dp_c = (g_tp * y m) * m + g_ps * m, as the composite's product rules give it.
                const v16 ym = SEL(ti == c, w, (v16){});
                const v16 d = (gtp[n * K + c] * ym) * w + gps[n * K + c] * w;
                scratch[c] = d;
                dot = dot + d * LOAD_N(p + (n * K + c) * S + s, len);
            }
            for (int c = 0; c < K; c++) {
                const v16 pc = LOAD_N(p + (n * K + c) * S + s, len);
                STORE_N(gx + (n * K + c) * S + s, pc * (scratch[c] - dot), len);
            }
        }
    }
}

CLONES
void ssk_softmax_rows(const float *x, float *y, int K, long S, long r0, long r1, int log_out) {
    const long rps = (S + SSK_CE_ROW - 1) / SSK_CE_ROW;
    for (long r = r0; r < r1; r++) {
        ROW_RANGE(r, rps, S);
        const float *xs = x + n * K * S;
        float *ys = y + n * K * S;
        for (long s = s0; s < s1; s += 16) {
            const int len = GROUP_LEN(s, s1);
            const v16 m = MAX_OVER_CLASSES(xs, S, s, K, len);
            v16 sum = (v16){};
            if (log_out) {
                for (int c = 0; c < K; c++) sum = sum + EXP16(LOAD_N(xs + c * S + s, len) - m);
                const v16 ls = LOG16(sum) + m;
                for (int c = 0; c < K; c++) STORE_N(ys + c * S + s, LOAD_N(xs + c * S + s, len) - ls, len);
            } else {
                // exp(x - m) goes to y first, then is scaled in place (y may not alias x).
                for (int c = 0; c < K; c++) {
                    const v16 e = EXP16(LOAD_N(xs + c * S + s, len) - m);
                    sum = sum + e;
                    STORE_N(ys + c * S + s, e, len);
                }
                const v16 inv = 1.0f / sum;
                for (int c = 0; c < K; c++) STORE_N(ys + c * S + s, LOAD_N(ys + c * S + s, len) * inv, len);
            }
        }
    }
}

CLONES
void ssk_softmax_backward_rows(const float *y, const float *g, float *gx, int K, long S, long r0, long r1, int log_out) {
    const long rps = (S + SSK_CE_ROW - 1) / SSK_CE_ROW;
    for (long r = r0; r < r1; r++) {
        ROW_RANGE(r, rps, S);
        const long base = n * K * S;
        for (long s = s0; s < s1; s += 16) {
            const int len = GROUP_LEN(s, s1);
            v16 acc = (v16){};
            if (log_out) {
                for (int c = 0; c < K; c++) acc = acc + LOAD_N(g + base + c * S + s, len);
                for (int c = 0; c < K; c++) {
                    const long o = base + c * S + s;
                    STORE_N(gx + o, LOAD_N(g + o, len) - EXP16(LOAD_N(y + o, len)) * acc, len);
                }
            } else {
                for (int c = 0; c < K; c++) {
                    const long o = base + c * S + s;
                    acc = acc + LOAD_N(g + o, len) * LOAD_N(y + o, len);
                }
                for (int c = 0; c < K; c++) {
                    const long o = base + c * S + s;
                    const v16 yv = LOAD_N(y + o, len);
                    STORE_N(gx + o, yv * (LOAD_N(g + o, len) - acc), len);
                }
            }
        }
    }
}
