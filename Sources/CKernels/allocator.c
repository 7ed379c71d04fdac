// Allocator tuning for the tensor engine (see TensorStorage.allocatorTuned).
#include "CKernels.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void ssk_tune_allocator(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
#endif
}
