#ifndef SEMISEG_WINOGRAD_ND_H
#define SEMISEG_WINOGRAD_ND_H
/// Generic Winograd / Toom-Cook tile transforms (any tile and kernel size up to 8 transform points per axis, 1 to 3
/// transformed axes, any dilation) for the GEMM-based Winograd convolution of `ConvolutionWinogradND.swift`: gathers
/// tiles of a [C][D][H][W] volume (zero outside it), applies one small matrix per axis, and stores the results in
/// transform-point-major buffers `buf[point * ldP + c * ldC + tile]`, or the reverse. Eight tiles (or eight weight
/// pairs) are transformed together, one per SIMD lane.
///
/// Tiles: per axis a, `tiles[a]` tiles with origins `org_a[i]` (source coordinates, may be negative) and source step
/// `step[a]` (the dilation); tile numbers run over (sample, i0, i1, i2) flattened, samples `sampleStride` floats apart.
/// Matrices are row-major `alpha[a] x n[a]` (gather) or `m[a] x alpha[a]` (scatter); an axis with a 1 x 1 matrix {1}
/// is left as it is.

/// Largest transform size per axis.
#define WGN_MAX_ALPHA 8

/// Gathers the n0 x n1 x n2 patch of each tile in [t0, t1) of channels 0..<C of `src` and stores its transform
/// (M0 along axis 0, M1 along 1, M2 along 2) at dst[point * ldP + c * ldC + (tile - t0)].
void wgn_gather(const float *src, long sampleStride, long chanStride, int C, const int dims[3],
                const int *org0, const int *org1, const int *org2, const int tiles[3], const int step[3],
                const int n[3], const int alpha[3], const float *M0, const float *M1, const float *M2,
                long t0, long t1, float *dst, long ldP, long ldC);

/// The inverse direction: loads the alpha0 x alpha1 x alpha2 points of each tile in [t0, t1) of channels 0..<C from
/// src[point * ldP + c * ldC + (tile - t0)], transforms them (M_a is m[a] x alpha[a]) and writes the m0 x m1 x m2
/// outputs that fall inside `dims` to dst (plus bias[c] when bias is not NULL); output j of axis a of a tile is at
/// org_a[i] + step[a] * j.
void wgn_scatter(const float *src, long ldP, long ldC, int C, float *dst, long sampleStride, long chanStride,
                 const int dims[3], const int *org0, const int *org1, const int *org2, const int tiles[3],
                 const int step[3], const int m[3], const int alpha[3], const float *M0, const float *M1,
                 const float *M2, const float *bias, long t0, long t1);

/// Transforms `count` small n0 x n1 x n2 arrays (element e of array l at src[l * srcLane + e * srcElem]) with one
/// matrix per axis (alpha[a] x n[a]) into dst[l * dstLane + f * dstElem] (weights and weight gradients).
void wgn_arrays(const float *src, long srcLane, long srcElem, long count, const int n[3], const int alpha[3],
                const float *M0, const float *M1, const float *M2, float *dst, long dstLane, long dstElem);
#endif
