// Shared by the C kernels of this module (not part of its public header): 16-float vectors, unaligned loads and
// stores, max(v, 0), and the runtime dispatch of the hot functions (target_clones).
#ifndef SEMISEG_CKERNELS_SIMD_H
#define SEMISEG_CKERNELS_SIMD_H

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));

#define LOADU(p) (*(const v16u *)(p))
#define STOREU(p, v) (*(v16u *)(p) = (v))
typedef int v16i __attribute__((vector_size(64)));
/// max(v, 0) per lane (+0 for -0 and negatives), the value `Swift.max(v, 0)` gives.
#define MAX0(v) ((v16)((v16i)(v) & ((v) > (v16){})))
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
#define CLONES_AVX2
#else
#define CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#define CLONES_AVX2 __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#define INLINE static inline __attribute__((always_inline))

/// Horizontal sum of one vector (a fixed pairwise order: the same value in every kernel that uses it).
INLINE float hsum16(v16 v) {
    typedef float v8 __attribute__((vector_size(32)));
    typedef float v4 __attribute__((vector_size(16)));
    const v8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    const v4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    return (b[0] + b[2]) + (b[1] + b[3]);
}

#ifdef SEMISEG_CKERNELS_H
/// Stores an output block of a direct convolution: CB channels from co0 (channel planes `plane` floats apart) by XB
/// vectors from column x0 of the row `yrow`. The bias is added last, as the im2col + sgemm path does (same rounding
/// for a single input channel). Epilogue (inference): (y + bias) * scale, then + shift, then max(., 0) as three
/// separately rounded steps, the values the unfused conv -> eval batch norm -> ReLU ops produce (separate
/// statements: no FMA contraction).
INLINE void store_conv_block(v16 acc[8][4], const float *bias, const ssk_epilogue *ep, float *yrow, long plane,
                             int co0, int x0, const int CB, const int XB) {
    for (int cb = 0; cb < CB; cb++) {
        const float b = bias ? bias[co0 + cb] : 0.0f;
        const float sc = ep && ep->scale ? ep->scale[co0 + cb] : 1.0f, sh = ep && ep->shift ? ep->shift[co0 + cb] : 0.0f;
        for (int xb = 0; xb < XB; xb++) {
            v16 v = acc[cb][xb] + b;
            if (ep) {
                if (ep->scale) {
                    const v16 m = v * sc;
                    v = m + sh;
                }
                if (ep->relu) v = MAX0(v);
            }
            STOREU(yrow + (co0 + cb) * plane + x0 + 16 * xb, v);
        }
    }
}
#endif
#endif
