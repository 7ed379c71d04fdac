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
#endif
