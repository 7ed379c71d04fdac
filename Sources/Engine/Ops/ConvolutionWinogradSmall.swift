import CKernels

/// Winograd F(4x4, 3x3) on small planes (docs/ARCHITECTURE.md, "Engine"): a tile row of a plane 4, 8, 16 or 32 wide has
/// 1 to 8 tiles, so the row-wise transforms of `ssk_wino_rows` filled a quarter to a half of their 16 lanes, and the 8x8
/// maps of a small batch gave one block (one busy core). Here:
///
/// - packed transforms (`ssk_wino_rows_range`): 64 / W tile rows share one 16-lane vector (bit-identical values);
/// - blocks are whole packed groups, as many as the workers when the tile rows allow (no 2:1 split of 3 blocks);
/// - with fewer blocks than workers, the workers split the output channels of a block (each transforms the block's
///   input itself: cheap next to the 36 products).
///
/// Measured single-thread (CPU ms per call, row-wise -> packed, N = 4): 128->128 at 16x16 2.03 -> 1.23, 256->128 at
/// 16x16 4.02 -> 2.33, 256->256 at 8x8 3.75 -> 1.89, 64->64 at 32x32 2.13 -> 1.37, 64->64 at 64x64 unchanged.
extension ConvKernels {
    /// How a Winograd forward (or backward data) pass splits its work.
    struct WinogradSmallPlan {
        /// `winogradBlocks`' tile rows, rows per block, blocks and per-worker scratch floats.
        var blocks: (rows: Int, perBlock: Int, blocks: Int, vCount: Int, mCount: Int, rbCount: Int)
        /// Whether the packed transforms run (the plane is 4, 8, 16 or 32 wide).
        var packed: Bool
        /// Output-channel parts of each block (1: a block computes all channels).
        var channelSplits: Int
        var cout: Int

        /// Output channels [co0, co1) of part `i` (multiples of 8 apart: the products' register block).
        func channels(_ i: Int) -> (Int, Int) {
            if channelSplits == 1 { return (0, cout) }
            let step = (cout + channelSplits - 1) / channelSplits, step8 = (step + 7) / 8 * 8
            return (Swift.min(cout, i * step8), Swift.min(cout, (i + 1) * step8))
        }
    }

    /// Tile rows one packed group holds on a plane `w` wide (0: not packed).
    static func winogradPackedRows(_ w: Int) -> Int {
        w == 4 || w == 8 || w == 16 || w == 32 ? 64 / w : 0
    }

    /// The work split of `winogradConv`: on packed planes (`packed` and a width `winogradPackedRows` takes), blocks of
    /// whole groups, a multiple of the workers when there are enough groups, and channel splits when there are fewer
    /// blocks than workers; elsewhere `winogradBlocks` as it was.
    static func winogradSmallPlan(batch: Int, k: Int, cout: Int, _ g: WindowGeometry, packed: Bool) -> WinogradSmallPlan {
        var b = winogradBlocks(batch: batch, k: k, cout: cout, g)
        let r = packed ? winogradPackedRows(g.input[2]) : 0
        guard r > 0 else { return WinogradSmallPlan(blocks: b, packed: false, channelSplits: 1, cout: cout) }
        let groups = (b.rows + r - 1) / r, threads = Parallel.threads
        var blocks = Swift.min(groups, (b.rows + b.perBlock - 1) / b.perBlock)
        if blocks >= threads { blocks = Swift.min(groups, (blocks + threads - 1) / threads * threads) }
        let perGroups = (groups + blocks - 1) / blocks
        b.perBlock = perGroups * r
        b.blocks = (b.rows + b.perBlock - 1) / b.perBlock
        let ld = ssk_wino_tiles_stride(Int32(g.input[2]), b.perBlock)
        b.vCount = 36 * k * ld
        b.mCount = 36 * cout * ld
        let splits = b.blocks < threads ? Swift.max(1, Swift.min(threads / b.blocks, cout / 8)) : 1
        return WinogradSmallPlan(blocks: b, packed: true, channelSplits: splits, cout: cout)
    }
}

// MARK: - Filter transform on all workers

extension ConvKernels {
    /// Multiply-adds of filter transform one worker should have at least (below, one core transforms the whole filter).
    static let winogradFilterMinimumWork = 1 << 16

    /// u `[36, KD * cin, cout]` = the Winograd transform of w `[cout, cin, KD, 3, 3]` (with `flipped`, of the spatially
    /// flipped, channel-swapped kernel of w `[cin, cout, KD, 3, 3]`, read in place), the input channels split across the
    /// workers: a 256->256 filter took about 1 ms on one core before the transform-domain products could start (8x8 maps
    /// of a small batch spend as long in their products). Same values as `ssk_wino_filter` on the flipped copy.
    static func winogradFilter(_ w: UnsafePointer<Float>, _ u: UnsafeMutablePointer<Float>, cin: Int, cout: Int, kd: Int, flipped: Bool) {
        let perChannel = Swift.max(1, 100 * cout * kd)
        Parallel.forEachChunk(cin, minPerChunk: Swift.max(1, winogradFilterMinimumWork / perChannel)) { r in
            ssk_wino_filter_range(w, u, Int32(cin), Int32(cout), Int32(kd), Int32(r.lowerBound), Int32(r.upperBound), flipped ? 1 : 0)
        }
    }
}

// MARK: - Weight gradient on small planes

extension ConvKernels {
    /// Whether the weight gradient of a Winograd-sized 2D convolution takes `winogradWeightGradSmall`: planes 16 wide.
    /// Measured on attention-unet at 4,1,128,128 (`bench --layers`, % of the one-core sgemm rate per CPU second, loaded
    /// machine; direct or im2col -> small Winograd): 16x16 64->128 68 -> 80, 128->128 75 -> 134, 256->128 85 -> 91;
    /// 32x32 32->64 105 -> 87, 64->64 85 -> 88, 128->64 98 -> 95 (the direct kernel is fast on 32-wide rows); 8x8
    /// 128->256 66 -> 55, 256->256 59 -> 62 (16 tiles: the GEMMs along the tiles are too short and G^T dU G costs a
    /// third of the direct FLOPs). 3D keeps the row-wise path (`winogradWeightGrad`) and the direct kernels.
    /// Planes 8 wide take it from `winogradWeightGradSmall8MinimumBatch` samples (the sgemm calls are then long enough).
    static func winogradWeightGradSmallPays(_ g: WindowGeometry, batch: Int) -> Bool {
        guard g.input[0] == 1 && g.kernel[0] == 1 else { return false }
        return g.input[2] == 16 || (g.input[2] == 8 && batch >= winogradWeightGradSmall8MinimumBatch)
    }

    /// Fewest samples of 8x8 planes (4 tiles each) whose weight gradient takes `winogradWeightGradSmall`: DeepLab's
    /// layer4 at 8,1,256,256 runs its dilated 128->128 3x3 as an undilated one on 32 8x8 polyphase sub-planes
    /// (ConvolutionSpaceToBatch.swift), where the row-wise path ran at 70-72 % of the one-core sgemm rate per CPU second
    /// and this one at 139-140 % (`bench --net deeplabv3 --dims 2 --base 16 --input 8,1,256,256 --layers`, alternating;
    /// the train step 0.101-0.104 -> 0.090-0.091 s). At 16 samples (attention-unet at 16,1,128,128: 87-88 -> 104-116 %)
    /// the whole step moved both ways between rounds, at 8 and 4 samples it lost (58-78 % against 68-84 %).
    static let winogradWeightGradSmall8MinimumBatch = 32

    /// dw `[cout, cin, 3, 3]` = the weight gradient of a stride-1 "same" 3x3 convolution of x `[N, cin, H, W]` with output
    /// gradient gy `[N, cout, H, W]` on a plane 4, 8, 16 or 32 wide, as Winograd F(4x4, 3x3) over the whole batch's tiles
    /// at once: the packed transforms V = B^T x B and M = A dY A^T (`ssk_wino_small_input`, `ssk_wino_small_grad`, channels
    /// split across the workers), then dU[xi] = M[xi] V[xi]^T as 36 sgemm calls along the tiles (split across the workers,
    /// no horizontal sums), then G^T dU G in double (`ssk_wino_wgrad_filter_range`, output channels split). The
    /// row-wise path sums 4x4 blocks of dU with one horizontal sum each per block of tile rows, which costs as much as
    /// the products when a block has 16 to 128 tiles. Not bit-identical to the direct kernels (Winograd's rounding,
    /// within 1e-4 of the gradient's magnitude; ConvolutionWinogradSmallTests).
    static func winogradWeightGradSmall(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                        batch: Int, cin: Int, cout: Int, _ g: WindowGeometry) {
        let (d, h, wd) = (g.input[0], g.input[1], g.input[2]), kd = g.kernel[0], k = kd * cin
        let r = winogradPackedRows(wd), rows = batch * d * ((h + 3) / 4), ldt = 16 * ((rows + r - 1) / r)
        let vCount = 36 * k * ldt, mCount = 36 * cout * ldt, duCount = 36 * cout * k
        _ = blasSingleThreaded
        WinogradScratch.with(vCount + mCount + duCount, zeroed: true) { buffer in  // zeroed: the padding tiles count as 0
            let v = buffer, m = buffer + vCount, du = m + mCount
            Parallel.forEachChunk(k + cout) { range in  // rows [0, k) of V, then channels [0, cout) of M
                let lo = range.lowerBound, hi = range.upperBound
                if lo < k {
                    ssk_wino_small_input(x, v, Int32(cin), Int32(d), Int32(h), Int32(wd), Int32(kd), rows, ldt, Int32(lo), Int32(Swift.min(hi, k)))
                }
                if hi > k {
                    ssk_wino_small_grad(gy, m, Int32(cout), Int32(d), Int32(h), Int32(wd), rows, ldt, Int32(Swift.max(lo, k) - k), Int32(hi - k))
                }
            }
            Parallel.forEachChunk(36) { range in
                for xi in range {
                    sgemm(transA: false, transB: true, m: cout, n: k, k: ldt, a: m + xi * cout * ldt, lda: ldt, b: v + xi * k * ldt,
                          ldb: ldt, c: du + xi * cout * k, ldc: k)
                }
            }
            Parallel.forEachChunk(cout) { range in
                ssk_wino_wgrad_filter_range(du, dw, Int32(cin), Int32(cout), Int32(kd), Int32(range.lowerBound), Int32(range.upperBound))
            }
        }
    }
}
