import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// GEMM-based Winograd / Toom-Cook convolution for the kernels the direct and F(4x4, 3x3) paths do not serve (5x5 and
/// 5x5x5 "V-Net" convolutions; see docs/ARCHITECTURE.md, "Engine"): forward, backward data and backward weight, any
/// padding, stride 1, any dilation, kernel `r` (or 1) per axis. Each output tile of `m` positions per transformed axis
/// reads `alpha = m + r - 1` inputs; per transform point the channel products are one sgemm over a block of tiles
/// (`[Cout, Cin] x [Cin, tiles]`), the tile transforms are the C kernels of `winograd_nd.c`. A 5x5 kernel with m = 2
/// needs 36 products per 4 outputs instead of 100 (2.8x fewer), a 5x5x5 kernel 216 per 8 instead of 1000 (4.6x).
///
/// Backward data needs no code of its own: `ConvKernels.backwardDataAsConv` turns it into the forward convolution of
/// the output gradient with the flipped kernel, which `forward` sends here. The weight gradient uses the same input transform: per tile, dW += correlation of the input patch with the output
/// gradient tile (the Toom-Cook algorithm F(r, m)); summed over tiles in the transform domain (one sgemm per point,
/// `[Cout, tiles] x [tiles, Cin]`), transformed back once.
///
/// A dilated axis is split into its `dilation` interleaved sub-grids (a tile's outputs and inputs are `dilation` apart),
/// so dilation costs nothing extra. Not bit-identical to im2col + sgemm: the transforms round differently (transform
/// points 0, ±1, ±2, ∞ for m = 2; ConvolutionWinogradNDTests bound the difference).
extension ConvKernels {
    /// Output positions per tile along each transformed axis, for kernel size `r` and the smallest output extent `extent`
    /// of a transformed axis: 4 for 3-wide kernels (6 transform points 0, ±1, ±2, ∞, as F(4x4, 3x3)); 4 for 5-wide kernels
    /// (8 points 0, ±1, ±2, ±1/2, ∞: 64 products per 16 outputs of a 5x5 kernel instead of 400, 512 per 64 of a 5x5x5
    /// instead of 8000) when every transformed axis has at least 8 outputs, else 2 (6 points: fewer wasted positions in
    /// partial tiles); 2 for wider kernels. This is the tile size `m` for an `r`-wide kernel whose smallest transformed
    /// output extent is `extent`.
    static func winogradNDTile(r: Int, extent: Int) -> Int {
        r == 3 ? 4 : (r == 5 && extent >= 8 ? 4 : 2)
    }

    /// `winogradNDTile` for the geometry `g`.
    static func winogradNDTile(_ g: WindowGeometry) -> Int {
        let axes = (0..<3).filter { g.kernel[$0] > 1 }
        return winogradNDTile(r: g.kernel.max() ?? 1, extent: axes.map { g.output[$0] }.min() ?? 1)
    }

    /// Smallest input and output channel count for this path: below, the tile transforms cost more than the products
    /// they save (measured on V-Net's 1->16 5x5 input layer: 6-10x slower than im2col + sgemm).
    static let winogradNDMinimumChannels = 8

    /// Whether the GEMM-based Winograd path serves this geometry: stride 1, every axis with a kernel larger than 1 has
    /// the same size `r`, 5 or 7. Dilated 3-wide kernels are supported (tests) but not routed here: on the dilated FCN's
    /// 16-32 channel layers it measured 20-30 % slower than im2col + sgemm.
    static func winogradNDSupports(_ g: WindowGeometry) -> Bool {
        guard g.stride == [1, 1, 1] else { return false }
        let big = g.kernel.filter { $0 > 1 }
        guard let r = big.first, big.allSatisfy({ $0 == r }) else { return false }
        return r == 5 || r == 7
    }

    /// Whether `forward` / `backwardData` / `backwardWeight` take the GEMM-based Winograd path (never under `.gemm`,
    /// the reference path of the tests). Small layers included: V-Net's deepest (256 channels at 8x8 x 4 samples, 16
    /// tiles; 64 channels at 4x8x8, 32 tiles of m = 2) measured 1.2-2x faster here than im2col + sgemm.
    static func useWinogradND(cin: Int, cout: Int, _ g: WindowGeometry) -> Bool {
        algorithm != .gemm && Swift.min(cin, cout) >= winogradNDMinimumChannels && winogradNDSupports(g)
    }

    /// Floats added to the stride between transform points in the tile buffers (and the transformed weights): with
    /// power-of-two strides the 64 stores of one tile's transform all map to the same cache sets.
    static let winogradNDPad = 16

    /// Toom-Cook matrices for one axis: F(m, r) forward (`at` m x alpha, `g` alpha x r, `bt` alpha x alpha) and, for the
    /// weight gradient F(r, m) with the same `bt`, `gm` (alpha x m) and `atr` (r x alpha). Row-major Float.
    struct ToomCook {
        let m: Int, r: Int, alpha: Int
        let at: [Float], g: [Float], bt: [Float], gm: [Float], atr: [Float]

        /// The identity axis (kernel 1): all matrices are [1].
        static let identity = ToomCook(m: 1, r: 1, alpha: 1, at: [1], g: [1], bt: [1], gm: [1], atr: [1])

        init(m: Int, r: Int, alpha: Int, at: [Float], g: [Float], bt: [Float], gm: [Float], atr: [Float]) {
            (self.m, self.r, self.alpha, self.at, self.g, self.bt, self.gm, self.atr) = (m, r, alpha, at, g, bt, gm, atr)
        }

        /// Matrices for m outputs of an r-wide kernel from the points 0, 1, -1, 2, -2, 1/2, -1/2, ... and ∞, computed in
        /// double: with E_k the alpha x k evaluation matrix (rows a^0..a^(k-1); the ∞ row picks the leading coefficient)
        /// and C = E_alpha^-1, correlation is y = E_m^T [(E_r g) ⊙ (C^T d)]; row i of C^T is scaled to max |.| = 1 and
        /// row i of E_r, E_m by the inverse factor.
        init(m: Int, r: Int) {
            let alpha = m + r - 1
            let all: [Double] = [0, 1, -1, 2, -2, 0.5, -0.5, 3, -3]
            precondition(alpha >= 2 && alpha - 1 <= all.count && alpha <= Int(WGN_MAX_ALPHA), "Toom-Cook: unsupported m \(m), r \(r)")
            let pts = Array(all.prefix(alpha - 1))
            func eval(_ k: Int) -> [[Double]] {
                (0..<alpha).map { i in
                    (0..<k).map { j in i < alpha - 1 ? (0..<j).reduce(1.0) { acc, _ in acc * pts[i] } : (j == k - 1 ? 1 : 0) }
                }
            }
            let c = ToomCook.inverse(eval(alpha))
            var bt = (0..<alpha).map { i in (0..<alpha).map { j in c[j][i] } }
            let er = eval(r), em = eval(m)
            var gr = er, gmm = em
            for i in 0..<alpha {
                let s = bt[i].map(abs).max() ?? 1
                bt[i] = bt[i].map { $0 / s }
                gr[i] = gr[i].map { $0 * s }
                gmm[i] = gmm[i].map { $0 * s }
            }
            func flat(_ a: [[Double]]) -> [Float] { a.flatMap { $0.map(Float.init) } }
            func transpose(_ a: [[Double]]) -> [[Double]] { (0..<(a.first?.count ?? 0)).map { j in a.map { $0[j] } } }
            self.init(m: m, r: r, alpha: alpha, at: flat(transpose(em)), g: flat(gr), bt: flat(bt), gm: flat(gmm), atr: flat(transpose(er)))
        }

        /// Gauss-Jordan inverse with partial pivoting (small, well-conditioned Vandermonde-type matrices).
        static func inverse(_ a: [[Double]]) -> [[Double]] {
            let n = a.count
            var m = a, inv = (0..<n).map { i in (0..<n).map { j in i == j ? 1.0 : 0.0 } }
            for col in 0..<n {
                let p = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) } ?? col
                m.swapAt(col, p); inv.swapAt(col, p)
                let d = m[col][col]
                m[col] = m[col].map { $0 / d }; inv[col] = inv[col].map { $0 / d }
                for row in 0..<n where row != col {
                    let f = m[row][col]
                    if f == 0 { continue }
                    for j in 0..<n { m[row][j] -= f * m[col][j]; inv[row][j] -= f * inv[col][j] }
                }
            }
            return inv
        }
    }

    /// Tiling of one convolution: per axis the Toom-Cook matrices, the output origin of every tile, and counts.
    struct WinogradNDPlan {
        var axes: [ToomCook]
        /// Output index of each tile's first output, per axis (a tile's outputs are `dilation` apart).
        var origins: [[Int32]]
        var tiles: [Int32]
        var step: [Int32]
        var points: Int { axes.reduce(1) { $0 * $1.alpha } }
        var tilesPerSample: Int { tiles.reduce(1) { $0 * Int($1) } }

        init(_ g: WindowGeometry, tile m: Int) {
            axes = []; origins = []; tiles = []; step = []
            for a in 0..<3 {
                let k = g.kernel[a], o = g.output[a], dl = g.dilation[a]
                let tc = k == 1 ? ToomCook.identity : ToomCook(m: Swift.max(1, Swift.min(m, Int(WGN_MAX_ALPHA) - k + 1)), r: k)
                var org: [Int32] = []
                for rho in 0..<Swift.min(dl, o) {
                    var j = rho
                    while j < o { org.append(Int32(j)); j += dl * tc.m }
                }
                axes.append(tc); origins.append(org); tiles.append(Int32(org.count)); step.append(Int32(dl))
            }
        }

        /// The origins shifted by `-padding` (where each tile's input patch starts).
        func inputOrigins(_ g: WindowGeometry) -> [[Int32]] {
            (0..<3).map { a in origins[a].map { $0 - Int32(g.padding[a]) } }
        }
    }

    /// Tiles per block: the block's transformed input and products (points x (cin + cout) x tiles floats) take about
    /// 2 MB, at least 64 and at most 1024 tiles, a multiple of 8, and at least one block per worker.
    static func winogradNDBlock(points: Int, channels: Int, tiles: Int) -> Int {
        var tb = Swift.min(1024, Swift.max(64, (1 << 19) / Swift.max(points * channels, 1)))
        tb = Swift.min(tb, (tiles + Parallel.threads - 1) / Parallel.threads)
        return Swift.max(8, (tb + 7) / 8 * 8)
    }

    /// Forward: y `[N, cout, *out]` = conv(x `[N, cin, *in]`, w `[cout, cin, *kernel]`) + bias, then `epilogue`.
    /// `cacheFilter` (inference) takes the transformed weights from `WinogradFilterCache` (bit-identical values).
    static func winogradNDForward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                  y: UnsafeMutablePointer<Float>, batch: Int, cin: Int, cout: Int, _ g: WindowGeometry,
                                  epilogue: Epilogue? = nil, cacheFilter: Bool = false) {
        let plan = WinogradNDPlan(g, tile: winogradNDTile(g)), ldU = cout * cin + winogradNDPad
        if cacheFilter {
            let cached = winogradNDCachedFilter(w, cin: cin, cout: cout, g, plan)
            withExtendedLifetime(cached) {
                winogradNDForward(x: x, u: cached.u, ldU: ldU, bias: bias, y: y, batch: batch, cin: cin, cout: cout, g, plan, epilogue: epilogue)
            }
        } else {
            let count = plan.points * ldU, u = BufferPool.take(count)
            defer { BufferPool.give(u, count) }
            winogradNDFilter(w, u, cin: cin, cout: cout, g, plan)
            winogradNDForward(x: x, u: u, ldU: ldU, bias: bias, y: y, batch: batch, cin: cin, cout: cout, g, plan, epilogue: epilogue)
        }
    }

    /// U `[points][cout][cin]` (point stride `cin * cout + winogradNDPad`) = G w G^T per (co, ci) of w `[cout, cin, *kernel]`.
    static func winogradNDFilter(_ w: UnsafePointer<Float>, _ u: UnsafeMutablePointer<Float>, cin: Int, cout: Int, _ g: WindowGeometry,
                                 _ plan: WinogradNDPlan) {
        transformArrays(w, srcLane: g.kernelVolume, srcElem: 1, count: cout * cin, n: g.kernel, alpha: plan.axes.map(\.alpha),
                        plan.axes.map(\.g), u, dstLane: 1, dstElem: cout * cin + winogradNDPad)
    }

    /// `winogradNDFilter` of w through `WinogradFilterCache`: keyed by the weight buffer, the kernel and the tile sizes.
    static func winogradNDCachedFilter(_ w: UnsafePointer<Float>, cin: Int, cout: Int, _ g: WindowGeometry,
                                       _ plan: WinogradNDPlan) -> WinogradFilterCache.Entry {
        let key = WinogradFilterCache.Key(address: UInt(bitPattern: w), cin: cin, cout: cout, kd: g.kernelVolume,
                                          variant: g.kernel + plan.axes.map(\.m))
        return WinogradFilterCache.transformed(w, key: key, weightCount: cout * cin * g.kernelVolume,
                                               uCount: plan.points * (cout * cin + winogradNDPad)) { u in
            winogradNDFilter(w, u, cin: cin, cout: cout, g, plan)
        }
    }

    /// `winogradNDForward` with the transformed weights `u` `[points][cout][cin]` (point stride `ldU`).
    private static func winogradNDForward(x: UnsafePointer<Float>, u: UnsafePointer<Float>, ldU: Int, bias: UnsafePointer<Float>?,
                                          y: UnsafeMutablePointer<Float>, batch: Int, cin: Int, cout: Int, _ g: WindowGeometry,
                                          _ plan: WinogradNDPlan, epilogue: Epilogue?) {
        _ = blasSingleThreaded
        let P = plan.points
        let total = batch * plan.tilesPerSample, ivol = g.inputVolume, ovol = g.outputVolume
        if winogradNDSplitPoints(tiles: total) {
            winogradNDForwardByPoints(x: x, u: u, ldU: ldU, bias: bias, y: y, batch: batch, cin: cin, cout: cout, g, plan, epilogue: epilogue)
            return
        }
        let tb = winogradNDBlock(points: P, channels: cin + cout, tiles: total), blocks = (total + tb - 1) / tb
        let ldV = cin * tb + winogradNDPad, ldM = cout * tb + winogradNDPad
        let workers = Parallel.workerCount(blocks), per = P * (ldV + ldM)
        let scratch = BufferPool.take(workers * per)
        defer { BufferPool.give(scratch, workers * per) }
        let inOrg = plan.inputOrigins(g)
        withPlanArrays(plan, inOrg) { org, tiles, step, alpha in
            let bt = plan.axes.map(\.bt), at = plan.axes.map(\.at), m32 = plan.axes.map { Int32($0.m) }
            let in32 = g.input.map(Int32.init), out32 = g.output.map(Int32.init)
            Parallel.forEachWorker(blocks) { worker, range in
                let v = scratch + worker * per, mb = v + P * ldV
                for blk in range {
                    let t0 = blk * tb, t1 = Swift.min(total, t0 + tb), nb = t1 - t0
                    gather(x, sampleStride: cin * ivol, chanStride: ivol, channels: cin, dims: in32, org: org.input, tiles: tiles,
                           step: step, n: alpha, alpha: alpha, bt, t0: t0, t1: t1, v, ldP: ldV, ldC: tb)
                    for p in 0..<P {
                        sgemm(transA: false, transB: false, m: cout, n: nb, k: cin, a: u + p * ldU, lda: cin,
                              b: v + p * ldV, ldb: tb, c: mb + p * ldM, ldc: tb)
                    }
                    scatter(mb, ldP: ldM, ldC: tb, channels: cout, y, sampleStride: cout * ovol, chanStride: ovol, dims: out32,
                            org: org.output, tiles: tiles, step: step, m: m32, alpha: alpha, at, bias: bias, t0: t0, t1: t1)
                }
            }
        }
        if let epilogue {
            Parallel.forEachChunk(batch * cout) { range in
                for sc in range { epilogue.apply(y + sc * ovol, ovol, channel: sc % cout) }
            }
        }
    }

    /// Backward weight: dw `[cout, cin, *kernel]` = sum over samples and positions of gy * shifted x (overwrites dw).
    static func winogradNDWeightGrad(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                     batch: Int, cin: Int, cout: Int, _ g: WindowGeometry) {
        _ = blasSingleThreaded
        let plan = WinogradNDPlan(g, tile: winogradNDTile(g)), P = plan.points
        let total = batch * plan.tilesPerSample, ivol = g.inputVolume, ovol = g.outputVolume
        if winogradNDSplitPoints(tiles: total) {
            winogradNDWeightGradByPoints(x: x, gy: gy, dw: dw, batch: batch, cin: cin, cout: cout, g, plan)
            return
        }
        let tb = winogradNDBlock(points: P, channels: cin + cout, tiles: total), blocks = (total + tb - 1) / tb
        let ldV = cin * tb + winogradNDPad, ldG = cout * tb + winogradNDPad, ldA = cout * cin + winogradNDPad
        let workers = Parallel.workerCount(blocks), per = P * (ldV + ldG), accCount = P * ldA
        let scratch = BufferPool.take(workers * (per + accCount))
        defer { BufferPool.give(scratch, workers * (per + accCount)) }
        let inOrg = plan.inputOrigins(g)
        withPlanArrays(plan, inOrg) { org, tiles, step, alpha in
            let bt = plan.axes.map(\.bt), gm = plan.axes.map(\.gm), m32 = plan.axes.map { Int32($0.m) }
            let in32 = g.input.map(Int32.init), out32 = g.output.map(Int32.init)
            Parallel.forEachWorker(blocks) { worker, range in
                let v = scratch + worker * (per + accCount), ug = v + P * ldV, acc = v + per
                acc.update(repeating: 0, count: accCount)
                for blk in range {
                    let t0 = blk * tb, t1 = Swift.min(total, t0 + tb), nb = t1 - t0
                    gather(x, sampleStride: cin * ivol, chanStride: ivol, channels: cin, dims: in32, org: org.input, tiles: tiles,
                           step: step, n: alpha, alpha: alpha, bt, t0: t0, t1: t1, v, ldP: ldV, ldC: tb)
                    gather(gy, sampleStride: cout * ovol, chanStride: ovol, channels: cout, dims: out32, org: org.output, tiles: tiles,
                           step: step, n: m32, alpha: alpha, gm, t0: t0, t1: t1, ug, ldP: ldG, ldC: tb)
                    for p in 0..<P {
                        sgemm(transA: false, transB: true, m: cout, n: cin, k: nb, a: ug + p * ldG, lda: tb,
                              b: v + p * ldV, ldb: tb, beta: 1, c: acc + p * ldA, ldc: cin)
                    }
                }
            }
        }
        let acc0 = scratch + per
        for wk in 1..<Swift.max(workers, 1) {
            let a = scratch + wk * (per + accCount) + per
            for i in 0..<accCount { acc0[i] += a[i] }
        }
        transformArrays(acc0, srcLane: 1, srcElem: ldA, count: cout * cin, n: plan.axes.map(\.alpha), alpha: g.kernel,
                        plan.axes.map(\.atr), dw, dstLane: g.kernelVolume, dstElem: 1)
    }

    // MARK: - Few tiles: split the transform points across workers

    /// Whether a layer has so few tiles (V-Net's deepest stages: 32 tiles at 4x8x8, 4 at 2x4x4) that splitting them into
    /// one block per worker would leave each worker streaming every transformed weight matrix for a handful of columns
    /// (and, for the weight gradient, zeroing and reducing a private accumulator of them all). Then one block holds all
    /// tiles: the tile transforms are split by tiles, the per-point sgemms by points.
    static func winogradNDSplitPoints(tiles: Int) -> Bool {
        Parallel.threads > 1 && tiles < 64 * Parallel.threads
    }

    /// Calls `body(t0, t1)` on the workers for consecutive groups of 8 of `total` tiles (the C transforms' unit).
    private static func forEachTileGroup(_ total: Int, _ body: (_ t0: Int, _ t1: Int) -> Void) {
        Parallel.forEachChunk((total + 7) / 8) { r in body(r.lowerBound * 8, Swift.min(total, r.upperBound * 8)) }
    }

    /// `winogradNDForward` with all tiles in one block: gather split by groups of 8 tiles, one sgemm per point split by
    /// points, scatter split by tiles. Every value is computed by one worker in a fixed order (any thread count, same values).
    private static func winogradNDForwardByPoints(x: UnsafePointer<Float>, u: UnsafePointer<Float>, ldU: Int, bias: UnsafePointer<Float>?,
                                                  y: UnsafeMutablePointer<Float>, batch: Int, cin: Int, cout: Int, _ g: WindowGeometry,
                                                  _ plan: WinogradNDPlan, epilogue: Epilogue?) {
        let P = plan.points, total = batch * plan.tilesPerSample, ivol = g.inputVolume, ovol = g.outputVolume
        let tb = (total + 7) / 8 * 8
        let ldV = cin * tb + winogradNDPad, ldM = cout * tb + winogradNDPad, count = P * (ldV + ldM)
        let v = BufferPool.take(count), mb = v + P * ldV
        defer { BufferPool.give(v, count) }
        withPlanArrays(plan, plan.inputOrigins(g)) { org, tiles, step, alpha in
            let bt = plan.axes.map(\.bt), at = plan.axes.map(\.at), m32 = plan.axes.map { Int32($0.m) }
            let in32 = g.input.map(Int32.init), out32 = g.output.map(Int32.init)
            forEachTileGroup(total) { t0, t1 in
                gather(x, sampleStride: cin * ivol, chanStride: ivol, channels: cin, dims: in32, org: org.input, tiles: tiles,
                       step: step, n: alpha, alpha: alpha, bt, t0: t0, t1: t1, v + t0, ldP: ldV, ldC: tb)
            }
            Parallel.forEachChunk(P) { r in
                for p in r {
                    sgemm(transA: false, transB: false, m: cout, n: total, k: cin, a: u + p * ldU, lda: cin,
                          b: v + p * ldV, ldb: tb, c: mb + p * ldM, ldc: tb)
                }
            }
            forEachTileGroup(total) { t0, t1 in
                scatter(mb + t0, ldP: ldM, ldC: tb, channels: cout, y, sampleStride: cout * ovol, chanStride: ovol, dims: out32,
                        org: org.output, tiles: tiles, step: step, m: m32, alpha: alpha, at, bias: bias, t0: t0, t1: t1)
            }
        }
        if let epilogue {
            Parallel.forEachChunk(batch * cout) { range in
                for sc in range { epilogue.apply(y + sc * ovol, ovol, channel: sc % cout) }
            }
        }
    }

    /// `winogradNDWeightGrad` with all tiles in one block: both gathers split by tiles, then per point one sgemm over all
    /// tiles (split by points) straight into the shared transform-domain gradient: no per-worker accumulators to zero
    /// and reduce. Same values for any thread count.
    private static func winogradNDWeightGradByPoints(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                                     batch: Int, cin: Int, cout: Int, _ g: WindowGeometry, _ plan: WinogradNDPlan) {
        let P = plan.points, total = batch * plan.tilesPerSample, ivol = g.inputVolume, ovol = g.outputVolume
        let tb = (total + 7) / 8 * 8
        let ldV = cin * tb + winogradNDPad, ldG = cout * tb + winogradNDPad, ldA = cout * cin + winogradNDPad
        let count = P * (ldV + ldG + ldA), v = BufferPool.take(count), ug = v + P * ldV, acc = ug + P * ldG
        defer { BufferPool.give(v, count) }
        withPlanArrays(plan, plan.inputOrigins(g)) { org, tiles, step, alpha in
            let bt = plan.axes.map(\.bt), gm = plan.axes.map(\.gm), m32 = plan.axes.map { Int32($0.m) }
            let in32 = g.input.map(Int32.init), out32 = g.output.map(Int32.init)
            forEachTileGroup(total) { t0, t1 in
                gather(x, sampleStride: cin * ivol, chanStride: ivol, channels: cin, dims: in32, org: org.input, tiles: tiles,
                       step: step, n: alpha, alpha: alpha, bt, t0: t0, t1: t1, v + t0, ldP: ldV, ldC: tb)
                gather(gy, sampleStride: cout * ovol, chanStride: ovol, channels: cout, dims: out32, org: org.output, tiles: tiles,
                       step: step, n: m32, alpha: alpha, gm, t0: t0, t1: t1, ug + t0, ldP: ldG, ldC: tb)
            }
            Parallel.forEachChunk(P) { r in
                for p in r {
                    sgemm(transA: false, transB: true, m: cout, n: cin, k: total, a: ug + p * ldG, lda: tb,
                          b: v + p * ldV, ldb: tb, c: acc + p * ldA, ldc: cin)
                }
            }
        }
        transformArrays(acc, srcLane: 1, srcElem: ldA, count: cout * cin, n: plan.axes.map(\.alpha), alpha: g.kernel,
                        plan.axes.map(\.atr), dw, dstLane: g.kernelVolume, dstElem: 1)
    }

    // MARK: - C wrappers

    /// Per-axis tile arrays as C pointers: origins of the output tiles and of their input patches.
    private static func withPlanArrays(_ plan: WinogradNDPlan, _ inOrg: [[Int32]],
                                       _ body: ((input: [UnsafePointer<Int32>], output: [UnsafePointer<Int32>]), [Int32], [Int32], [Int32]) -> Void) {
        let alpha = plan.axes.map { Int32($0.alpha) }
        plan.origins[0].withUnsafeBufferPointer { o0 in
            plan.origins[1].withUnsafeBufferPointer { o1 in
                plan.origins[2].withUnsafeBufferPointer { o2 in
                    inOrg[0].withUnsafeBufferPointer { i0 in
                        inOrg[1].withUnsafeBufferPointer { i1 in
                            inOrg[2].withUnsafeBufferPointer { i2 in
                                body((input: [i0.baseAddress!, i1.baseAddress!, i2.baseAddress!],
                                          output: [o0.baseAddress!, o1.baseAddress!, o2.baseAddress!]),
                                     plan.tiles, plan.step, alpha)
                            }
                        }
                    }
                }
            }
        }
    }

    private static func gather(_ src: UnsafePointer<Float>, sampleStride: Int, chanStride: Int, channels: Int, dims: [Int32],
                               org: [UnsafePointer<Int32>], tiles: [Int32], step: [Int32], n: [Int32], alpha: [Int32],
                               _ mats: [[Float]], t0: Int, t1: Int, _ dst: UnsafeMutablePointer<Float>, ldP: Int, ldC: Int) {
        mats[0].withUnsafeBufferPointer { m0 in
            mats[1].withUnsafeBufferPointer { m1 in
                mats[2].withUnsafeBufferPointer { m2 in
                    wgn_gather(src, sampleStride, chanStride, Int32(channels), dims, org[0], org[1], org[2], tiles, step, n, alpha,
                               m0.baseAddress, m1.baseAddress, m2.baseAddress, t0, t1, dst, ldP, ldC)
                }
            }
        }
    }

    private static func scatter(_ src: UnsafePointer<Float>, ldP: Int, ldC: Int, channels: Int, _ dst: UnsafeMutablePointer<Float>,
                                sampleStride: Int, chanStride: Int, dims: [Int32], org: [UnsafePointer<Int32>], tiles: [Int32],
                                step: [Int32], m: [Int32], alpha: [Int32], _ mats: [[Float]], bias: UnsafePointer<Float>?,
                                t0: Int, t1: Int) {
        mats[0].withUnsafeBufferPointer { m0 in
            mats[1].withUnsafeBufferPointer { m1 in
                mats[2].withUnsafeBufferPointer { m2 in
                    wgn_scatter(src, ldP, ldC, Int32(channels), dst, sampleStride, chanStride, dims, org[0], org[1], org[2], tiles,
                                step, m, alpha, m0.baseAddress, m1.baseAddress, m2.baseAddress, bias, t0, t1)
                }
            }
        }
    }

    private static func transformArrays(_ src: UnsafePointer<Float>, srcLane: Int, srcElem: Int, count: Int, n: [Int], alpha: [Int],
                                        _ mats: [[Float]], _ dst: UnsafeMutablePointer<Float>, dstLane: Int, dstElem: Int) {
        let n32 = n.map(Int32.init), a32 = alpha.map(Int32.init)
        mats[0].withUnsafeBufferPointer { m0 in
            mats[1].withUnsafeBufferPointer { m1 in
                mats[2].withUnsafeBufferPointer { m2 in
                    // Parallel over groups of 8 arrays (one SIMD lane each); 256 x 256 kernels are 8192 groups.
                    let groups = (count + 7) / 8
                    Parallel.forEachChunk(groups, minPerChunk: 64) { range in
                        let l0 = range.lowerBound * 8, l1 = Swift.min(count, range.upperBound * 8)
                        wgn_arrays(src + l0 * srcLane, srcLane, srcElem, l1 - l0, n32, a32, m0.baseAddress, m1.baseAddress, m2.baseAddress,
                                   dst + l0 * dstLane, dstLane, dstElem)
                    }
                }
            }
        }
    }
}
