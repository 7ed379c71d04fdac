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
