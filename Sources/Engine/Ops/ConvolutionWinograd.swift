import CKernels

/// Winograd F(4x4, 3x3) convolution (C kernels in `CKernels`, docs/ARCHITECTURE.md) for stride-1 "same" 3x3 and
/// 3x3x3 kernels on the inference path (and, opt-in with `ConvAlgorithm.winograd`, training's forward and backward data): 36 transform-domain products per 4x4 output tile and channel pair instead of
/// 144 multiply-adds, i.e. 4x fewer FLOPs than the direct kernels for the same output.
///
/// Not bit-identical to the direct convolution: the transforms round differently. Measured against the direct kernels
/// (ConvolutionWinogradTests) the largest difference is below 1e-4 of the largest output magnitude for realistic
/// inputs and weights (unit-scale activations, Kaiming-scaled weights, up to 256 input channels).
extension ConvKernels {
    /// Smallest number of input channels times depth taps, and of output channels, for which the automatic choice
    /// takes Winograd: below, the input / output transforms cost more than the products they save. Measured per thread
    /// (CPU time, AVX-512): 16->16 at 256x256 breaks even, 8->8 3x3x3 runs at 0.72x the direct kernels, Cin = 1 at 0.23x;
    /// 16->32 at 128x128 1.3x, 64->64 at 64x64 2.1x, 256->256 at 16x16 1.8x, 8->16 3x3x3 at 64x128x128 1.3x.
    static let winogradMinimumChannels = 16

    /// Whether Winograd F(4x4, 3x3) supports `g`: stride 1, dilation 1, kernel (1|3, 3, 3), "same" padding.
    static func winogradSupports(_ g: WindowGeometry) -> Bool {
        g.stride == [1, 1, 1] && g.dilation == [1, 1, 1] && g.kernel[1] == 3 && g.kernel[2] == 3
            && (g.kernel[0] == 1 || g.kernel[0] == 3) && g.padding == g.kernel.map { $0 / 2 } && g.output == g.input
    }

    /// Whether an inference convolution of this shape runs as Winograd.
    static func useWinograd(cin: Int, cout: Int, _ g: WindowGeometry) -> Bool {
        guard winogradSupports(g) else { return false }
        switch algorithm {
        case .winograd: return true
        case .automatic, .winogradTraining:
            return cin * g.kernel[0] >= winogradMinimumChannels && cout >= winogradMinimumChannels
                && (algorithm != .automatic || winogradPaysOnMap(cin: cin, cout: cout, g))  // ConvolutionSmallMap.swift
                && (algorithm != .automatic || winogradPaysOnVolume(g))  // 3D planes of one tile: ConvolutionTinyVolume.swift
        case .gemm, .direct: return false
        }
    }

    /// Backward data of a stride-1 "same" 3x3 (3x3x3) convolution as Winograd: the forward convolution of `gy` with the
    /// spatially flipped kernel, input and output channels swapped (`ConvKernels.backwardDataAsConv`). Used in training
    /// only under `ConvAlgorithm.winograd` (opt-in: gradients then differ from the direct kernels by Winograd's
    /// rounding). Returns false when the geometry does not allow it.
    static func winogradBackwardData(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                     batch: Int, cin: Int, cout: Int, _ g: WindowGeometry) -> Bool {
        guard winogradSupports(g) else { return false }
        // The flipped kernel wf[ci, co, k'] = w[co, ci, kvol-1-k'] is read in place by the filter transform.
        winogradConv(x: gy, w: w, bias: nil, y: dx, batch: batch, cin: cout, cout: cin, epilogue: nil, g, flippedWeights: true)
        return true
    }

    /// Tiles one block of tile rows should hold at least (each transformed weight is reused across them).
    static let winogradMinimumTiles = 96
    /// Floats of transformed input one block aims at (it stays in the L2 cache while the 36 products read it).
    static let winogradBlockFloats = 1 << 17

    /// Work split of a Winograd pass with K = KD * Cin transform rows and `cout` output channels: the tile rows
    /// (sample, plane, 4-row tile row), tile rows per block (>= `winogradMinimumTiles` tiles, the transformed input near
    /// `winogradBlockFloats`, at least one block per worker), the blocks, and the per-worker scratch floats of the
    /// transformed input, the transform-domain products and the row buffer (`ssk_wino_rows`).
    static func winogradBlocks(batch: Int, k: Int, cout: Int, _ g: WindowGeometry)
        -> (rows: Int, perBlock: Int, blocks: Int, vCount: Int, mCount: Int, rbCount: Int) {
        let ty = (g.input[1] + 3) / 4, tx = (g.input[2] + 3) / 4, txg = (tx + 15) / 16
        let rows = batch * g.input[0] * ty
        var perBlock = Swift.max(1, (Swift.max(winogradMinimumTiles, winogradBlockFloats / (36 * k)) + tx - 1) / tx)
        perBlock = Swift.min(perBlock, (rows + Parallel.threads - 1) / Parallel.threads)
        let ld = ssk_wino_tiles_stride(Int32(g.input[2]), perBlock)
        return (rows, perBlock, (rows + perBlock - 1) / perBlock, 36 * k * ld, 36 * cout * ld, 6 * (64 * txg + 16))
    }

    /// y `[N, cout, D, H, W]` = conv(x `[N, cin, D, H, W]`, w `[cout, cin, KD, 3, 3]`) + bias, then `epilogue`.
    /// Work is split in blocks of 4-row tile rows over (sample, plane, tile row); each worker has its own scratch.
    /// `cacheFilter` (inference) takes the transformed weights from `WinogradFilterCache`; `flippedWeights` reads w as
    /// `[cin, cout, KD, 3, 3]` and convolves with its spatially flipped, channel-swapped kernel (backward data). With `x2`, the input is the
    /// channel concatenation of x `[N, split, D, H, W]` and x2 `[N, cin - split, D, H, W]`, read in place. With
    /// `upsampledDepth` (1 or 2), the input is the nearest upsampling of x `[N, cin, D / upsampledDepth, H / 2, W / 2]` (x2 in
    /// H and W), read in place (`ssk_wino_rows_up`); `g` is the upsampled geometry.
    static func winogradConv(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                             batch: Int, cin: Int, cout: Int, epilogue: Epilogue?, _ g: WindowGeometry, cacheFilter: Bool = false,
                             x2: UnsafePointer<Float>? = nil, split: Int? = nil, upsampledDepth: Int? = nil, packed: Bool = true,
                             flippedWeights: Bool = false) {
        let (d, h, wd) = (g.input[0], g.input[1], g.input[2]), kd = g.kernel[0], k = kd * cin
        // Small planes: packed transforms, blocks of whole packed groups, channel splits (ConvolutionWinogradSmall.swift).
        let plan = winogradSmallPlan(batch: batch, k: k, cout: cout, g, packed: packed)
        let (rows, perBlock, blocks, vCount, mCount, rbCount) = plan.blocks
        let jobs = blocks * plan.channelSplits
        let workers = Parallel.workerCount(jobs), perWorker = vCount + mCount + rbCount
        let scratch = BufferPool.take(workers * perWorker)
        defer { BufferPool.give(scratch, workers * perWorker) }
        // Tiles past a row's end are computed too (never stored): start from zeros, not from stale denormals. The packed
        // transforms write every tile they compute.
        if !plan.packed { scratch.update(repeating: 0, count: workers * perWorker) }
        var ep = ssk_epilogue(scale: epilogue?.scale, shift: epilogue?.shift, relu: epilogue?.relu == true ? 1 : 0)
        func run(_ u: UnsafePointer<Float>) {
            withUnsafePointer(to: &ep) { epp in
                let epArg = epilogue == nil ? nil : epp
                _ = Parallel.forEachWorker(jobs) { worker, range in
                    let v = scratch + worker * perWorker, m = v + vCount, rb = m + mCount
                    for job in range {
                        let b = job / plan.channelSplits, (co0, co1) = plan.channels(job % plan.channelSplits)
                        let r0 = b * perBlock, r1 = Swift.min(rows, r0 + perBlock)
                        ssk_wino_rows_range(x, upsampledDepth == nil ? x2 : nil, Int32(x2 == nil || upsampledDepth != nil ? cin : split ?? cin),
                                            u, bias, epArg, y, v, m, rb, Int32(cin), Int32(cout), Int32(d), Int32(h), Int32(wd), Int32(kd),
                                            Int32(upsampledDepth ?? 0), r0, r1, Int32(co0), Int32(co1), plan.packed ? 1 : 0)
                    }
                }
            }
        }
        precondition(!(cacheFilter && flippedWeights), "winogradConv: the filter cache holds unflipped kernels")
        if cacheFilter {
            let cached = WinogradFilterCache.transformed(w, cin: cin, cout: cout, kd: kd)
            withExtendedLifetime(cached) { run(cached.u) }
        } else {
            // Pooled at every size (`WinogradScratch`): a fresh mapping was zeroed page by page on every call (64->64 at
            // 8x8: 147 faults; 256->256 at 8x8: 9.4 MB of huge pages). The filter transform writes every value.
            WinogradScratch.with(36 * k * cout, zeroed: false) { u in
                winogradFilter(w, u, cin: cin, cout: cout, kd: kd, flipped: flippedWeights)
                run(u)
            }
        }
    }
}

// MARK: - Weight gradient

extension ConvKernels {
    /// Fewest 4x4 output tiles (over the batch) for which the weight gradient runs as Winograd: its GEMMs run along the
    /// tiles and end in one horizontal sum per (point, cout, cin), and G^T dU G costs a fixed ~160 multiply-adds per
    /// weight triple. Measured on unet2d-s16 (`bench --layers`, % of the one-core sgemm rate, direct -> Winograd): 2048
    /// tiles and more gain (64x64 n8: 84-88 -> 122-143), 512 break even (32x32 n8: 86-93 -> 81-93), 128 lose
    /// (16x16 n8: 73 -> 49-52).
    static let winogradWeightGradMinimumTiles = 1024

    /// Whether the weight gradient of a Winograd-sized shape pays as Winograd (`winogradWeightGradMinimumTiles`).
    /// 2D planes 16 wide (and 8 wide in batches of 32) take `winogradWeightGradSmall` at any tile count (ConvolutionWinogradSmall.swift).
    static func winogradWeightGradPays(batch: Int, _ g: WindowGeometry) -> Bool {
        batch * g.input[0] * ((g.input[1] + 3) / 4) * ((g.input[2] + 3) / 4) >= winogradWeightGradMinimumTiles
            || winogradWeightGradSmallPays(g, batch: batch)
    }

    /// dw `[cout, cin, KD, 3, 3]` = the weight gradient of a stride-1 "same" 3x3 (3x3x3) convolution of x
    /// `[N, cin, D, H, W]` with output gradient gy `[N, cout, D, H, W]`, as Winograd F(4x4, 3x3): per block of tile rows
    /// the input and gradient transforms, then 36 dot-product GEMMs over the tiles into a per-worker transform-domain sum
    /// `[36, cout, KD * cin]`, and G^T dU G at the end (in double). Not bit-identical to the direct kernels (within
    /// 1e-4 of the gradient's magnitude; ConvolutionWinogradTrainingTests).
    static func winogradWeightGrad(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                   batch: Int, cin: Int, cout: Int, _ g: WindowGeometry) {
        if winogradWeightGradSmallPays(g, batch: batch) {
            winogradWeightGradSmall(x: x, gy: gy, dw: dw, batch: batch, cin: cin, cout: cout, g)
            return
        }
        let (d, h, wd) = (g.input[0], g.input[1], g.input[2]), kd = g.kernel[0], k = kd * cin
        let (rows, perBlock, blocks, vCount, mCount, rbCount) = winogradBlocks(batch: batch, k: k, cout: cout, g)
        let duCount = 36 * cout * k
        let workers = Parallel.workerCount(blocks), perWorker = vCount + mCount + rbCount + duCount
        // Pooled (`WinogradScratch`); each worker zeroes its own part (the sums accumulate, and unwritten tile columns
        // of V meet zeroed gradient columns: zero, never a stale NaN).
        WinogradScratch.with(workers * perWorker, zeroed: false) { scratch in
            _ = Parallel.forEachWorker(blocks) { worker, range in
                let v = scratch + worker * perWorker, m = v + vCount, rb = m + mCount, du = rb + rbCount
                v.initialize(repeating: 0, count: perWorker)
                for b in range {
                    let r0 = b * perBlock, r1 = Swift.min(rows, r0 + perBlock)
                    ssk_wino_wgrad_rows(x, gy, du, v, m, rb, Int32(cin), Int32(cout), Int32(d), Int32(h), Int32(wd), Int32(kd), r0, r1)
                }
            }
            // The workers' sums, then G^T dU G, both split over the workers (the filter step in double took a serial
            // ~10 % of a 16-channel 128x128 weight gradient); the same sums in the same order: bit-identical.
            let du0 = scratch + vCount + mCount + rbCount
            if workers > 1 {
                Parallel.forEachChunk(duCount, minPerChunk: 1 << 14) { r in
                    for wk in 1..<workers {
                        let src = UnsafePointer(du0 + wk * perWorker)
                        for i in r { du0[i] += src[i] }
                    }
                }
            }
            Parallel.forEachChunk(cout) { r in
                ssk_wino_wgrad_filter_range(du0, dw, Int32(cin), Int32(cout), Int32(kd), Int32(r.lowerBound), Int32(r.upperBound))
            }
        }
    }
}
