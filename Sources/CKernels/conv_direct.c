// Direct 3-wide convolution kernels (see CKernels.h). Vectorised over W in 16-float vectors, register-blocked over
// output channels; one zero-padded copy of the KD*KH input rows each output row reads ("patch") keeps loops branch-free.
#include "CKernels.h"
#include <string.h>

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));

#define LOADU(p) (*(const v16u *)(p))
#define STOREU(p, v) (*(v16u *)(p) = (v))
// ThreadSanitizer instruments the ifunc resolver that target_clones generates (__tsan_func_entry), and the dynamic
// loader runs that resolver during relocation, before the TSan runtime exists: the process died with SIGSEGV at load
// (scripts/sanitize.sh thread). Under TSan the kernels are plain, instrumented functions built for the given flags.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SSK_NO_TARGET_CLONES 1
#endif
#endif
#ifdef SSK_NO_TARGET_CLONES
#define CLONES
#else
#define CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#endif
#define INLINE static inline __attribute__((always_inline))

/// Copies the KD*KH input rows of output row (z, y) for every input channel into patch (zero halo / zero rows);
/// sets valid[kz*KH+ky] to whether that input row lies inside the volume.
INLINE void build_patch(const float *x, int cin, int D, int H, int W, int KD, int KH, int z, int yy,
                        float *patch, int *valid) {
    const long plane = (long)D * H * W;
    const int pw = W + 2;
    for (int kz = 0; kz < KD; kz++) {
        for (int ky = 0; ky < KH; ky++) {
            const int iz = z + kz - KD / 2, iy = yy + ky - KH / 2;
            valid[kz * KH + ky] = iz >= 0 && iz < D && iy >= 0 && iy < H;
        }
    }
    for (int ci = 0; ci < cin; ci++) {
        for (int kz = 0; kz < KD; kz++) {
            for (int ky = 0; ky < KH; ky++) {
                float *dst = patch + ((long)(ci * KD + kz) * KH + ky) * pw;
                if (!valid[kz * KH + ky]) continue;
                const int iz = z + kz - KD / 2, iy = yy + ky - KH / 2;
                dst[0] = 0; dst[W + 1] = 0;
                memcpy(dst + 1, x + ci * plane + ((long)iz * H + iy) * W, (size_t)W * sizeof(float));
            }
        }
    }
}

/// Output block: CB channels from co0, XB vectors from x0.
INLINE void fwd_block(const float *patch, const int *valid, const float *wpack, const float *bias, float *yrow,
                      long plane, int cin, int cout, int W, int KD, int KH, int co0, int x0, const int CB, const int XB) {
    v16 acc[8][4];
    for (int cb = 0; cb < CB; cb++)
        for (int xb = 0; xb < XB; xb++) acc[cb][xb] = (v16){};
    const int pw = W + 2, taps = KD * KH;
    for (int ci = 0; ci < cin; ci++) {
        for (int t = 0; t < taps; t++) {
            if (!valid[t]) continue;
            const float *pr = patch + ((long)ci * taps + t) * pw + x0;
            const float *wp = wpack + ((long)ci * taps + t) * 3 * cout + co0;
            for (int kx = 0; kx < 3; kx++) {
                v16 v[4];
                for (int xb = 0; xb < XB; xb++) v[xb] = LOADU(pr + kx + 16 * xb);
                for (int cb = 0; cb < CB; cb++) {
                    const float w = wp[kx * cout + cb];
                    for (int xb = 0; xb < XB; xb++) acc[cb][xb] += v[xb] * w;
                }
            }
        }
    }
    // The bias is added last, as the im2col + sgemm path does (same rounding for a single input channel).
    for (int cb = 0; cb < CB; cb++) {
        const float b = bias ? bias[co0 + cb] : 0.0f;
        for (int xb = 0; xb < XB; xb++) STOREU(yrow + (co0 + cb) * plane + x0 + 16 * xb, acc[cb][xb] + b);
    }
}

CLONES
void ssk_conv3_rows(const float *x, const float *wpack, const float *bias, float *y,
                    int cin, int cout, int D, int H, int W, int KD, int KH,
                    long row0, long row1, float *patch) {
    const long plane = (long)D * H * W;
    int valid[9];
    for (long row = row0; row < row1; row++) {
        const int z = (int)(row / H), yy = (int)(row % H);
        build_patch(x, cin, D, H, W, KD, KH, z, yy, patch, valid);
        float *yrow = y + row * W;
        int co0 = 0;
        for (; co0 + 8 <= cout; co0 += 8) {
            int x0 = 0;
            for (; x0 + 32 <= W; x0 += 32) fwd_block(patch, valid, wpack, bias, yrow, plane, cin, cout, W, KD, KH, co0, x0, 8, 2);
            for (; x0 < W; x0 += 16) fwd_block(patch, valid, wpack, bias, yrow, plane, cin, cout, W, KD, KH, co0, x0, 8, 1);
        }
        for (; co0 + 4 <= cout; co0 += 4) {
            int x0 = 0;
            for (; x0 + 64 <= W; x0 += 64) fwd_block(patch, valid, wpack, bias, yrow, plane, cin, cout, W, KD, KH, co0, x0, 4, 4);
            for (; x0 < W; x0 += 16) fwd_block(patch, valid, wpack, bias, yrow, plane, cin, cout, W, KD, KH, co0, x0, 4, 1);
        }
        for (; co0 < cout; co0++) {
            int x0 = 0;
            for (; x0 + 64 <= W; x0 += 64) fwd_block(patch, valid, wpack, bias, yrow, plane, cin, cout, W, KD, KH, co0, x0, 1, 4);
            for (; x0 < W; x0 += 16) fwd_block(patch, valid, wpack, bias, yrow, plane, cin, cout, W, KD, KH, co0, x0, 1, 1);
        }
    }
}

/// dW block: CB output channels from co0, the 3 kx taps of one (ci, kz, ky) input row, summed over one row.
INLINE void wgrad_block(const float *pr, const float *gyrow, float *acc, long plane, int W, long accStride,
                        int co0, const int CB) {
    v16 a[8][3];
    for (int cb = 0; cb < CB; cb++) for (int k = 0; k < 3; k++) a[cb][k] = (v16){};
    for (int x0 = 0; x0 < W; x0 += 16) {
        const v16 p0 = LOADU(pr + x0), p1 = LOADU(pr + x0 + 1), p2 = LOADU(pr + x0 + 2);
        for (int cb = 0; cb < CB; cb++) {
            const v16 g = LOADU(gyrow + (co0 + cb) * plane + x0);
            a[cb][0] += g * p0; a[cb][1] += g * p1; a[cb][2] += g * p2;
        }
    }
    for (int cb = 0; cb < CB; cb++) {
        float *dst = acc + (co0 + cb) * accStride;
        for (int k = 0; k < 3; k++) STOREU(dst + 16 * k, LOADU(dst + 16 * k) + a[cb][k]);
    }
}

CLONES
void ssk_conv3_wgrad_rows(const float *x, const float *gy, float *acc,
                          int cin, int cout, int D, int H, int W, int KD, int KH,
                          long row0, long row1, float *patch) {
    const long plane = (long)D * H * W;
    const int taps = KD * KH, pw = W + 2;
    const long accStride = (long)cin * taps * 3 * 16;  // floats per output channel
    int valid[9];
    for (long row = row0; row < row1; row++) {
        const int z = (int)(row / H), yy = (int)(row % H);
        build_patch(x, cin, D, H, W, KD, KH, z, yy, patch, valid);
        const float *gyrow = gy + row * W;
        for (int ci = 0; ci < cin; ci++) {
            for (int t = 0; t < taps; t++) {
                if (!valid[t]) continue;
                const float *pr = patch + ((long)ci * taps + t) * pw;
                float *ac = acc + ((long)ci * taps + t) * 3 * 16;
                int co0 = 0;
                for (; co0 + 8 <= cout; co0 += 8) wgrad_block(pr, gyrow, ac, plane, W, accStride, co0, 8);
                for (; co0 + 4 <= cout; co0 += 4) wgrad_block(pr, gyrow, ac, plane, W, accStride, co0, 4);
                for (; co0 < cout; co0++) wgrad_block(pr, gyrow, ac, plane, W, accStride, co0, 1);
            }
        }
    }
}
