// Shared by the dilated direct kernels (conv_dilated.c, conv_dilated8.c; not part of the public header).
#ifndef SEMISEG_CKERNELS_CONV_DILATED_ROWS_H
#define SEMISEG_CKERNELS_CONV_DILATED_ROWS_H
#include "simd.h"

/// Whether input row (z + (kz - KD/2) * dil, y + (ky - KH/2) * dil) lies inside the volume, and its offset in a plane.
INLINE int dl_row(int z, int yy, int kz, int ky, int D, int H, int W, int KD, int KH, int dil, long *offset) {
    const int iz = z + (kz - KD / 2) * dil, iy = yy + (ky - KH / 2) * dil;
    if (iz < 0 || iz >= D || iy < 0 || iy >= H) return 0;
    *offset = ((long)iz * H + iy) * W;  // W: the input's row stride (W + 2 * dil)
    return 1;
}

#endif
