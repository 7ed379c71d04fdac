/// Convolution kernels: tiled im2col + sgemm for the forward pass, backward-data (sgemm + col2im) and
/// backward-weight. Shared by `conv` and `convTranspose` (whose forward is conv's backward-data).
///
/// Layouts: x `[N, Cin, D, H, W]`, weight `[Cout, Cin, KD, KH, KW]` viewed as a `[Cout, K]` matrix with
/// K = Cin*KD*KH*KW, y `[N, Cout, OD, OH, OW]` viewed per sample as `[Cout, P]`. The im2col buffer for a tile
/// of output positions p0..<p1 is `[K, p1-p0]`; it never spans the whole volume.

import CBLAS
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Tiling

public enum ConvKernels {
    /// Per-output-channel step after the bias of an inference convolution: `v = (v * scale[co]) + shift[co]` (two
    /// roundings, as an eval batch norm computes it), then `max(v, 0)` with `relu`. `scale` / `shift` are nil together.
    struct Epilogue {
        var scale: UnsafePointer<Float>?
        var shift: UnsafePointer<Float>?
        var relu: Bool

        /// Applies the epilogue of channel `co` to `n` values at `row` in place.
        @inline(__always) func apply(_ row: UnsafeMutablePointer<Float>, _ n: Int, channel co: Int) {
            if let scale, let shift {
                let a = scale[co], b = shift[co]
                if relu { for j in 0..<n { row[j] = Swift.max(row[j] * a + b, 0) } } else { for j in 0..<n { row[j] = row[j] * a + b } }
            } else if relu {
                for j in 0..<n { row[j] = Swift.max(row[j], 0) }
            }
        }
    }

    /// Adds `bias[co]` to, then applies `epilogue` of channel `co` to, `len` values of each of `cout` rows of `ys`
    /// (rows `stride` apart): the common tail of the sgemm-based convolutions.
    @inline(__always) static func finishRows(_ ys: UnsafeMutablePointer<Float>, stride: Int, len: Int, cout: Int,
                                             bias: UnsafePointer<Float>?, epilogue: Epilogue?) {
        if let bias {
            for co in 0..<cout {
                let b = bias[co], row = ys + co * stride
                for j in 0..<len { row[j] += b }
            }
        }
        if let epilogue { for co in 0..<cout { epilogue.apply(ys + co * stride, len, channel: co) } }
    }

    /// The spatial kernels split work across cores themselves (`Parallel`); OpenBLAS threads inside each worker's
    /// small GEMMs oversubscribe the cores (measured 4x slower on 2 cores). Set once, process-wide, on first use (and
    /// when a command sets `Parallel.threads`).
    ///
    /// OpenBLAS's pthread build also starts its server threads when the library loads, and each idle one polls for work
    /// (sched_yield in a loop) for 2^28 cycles, about 0.1 s, before it sleeps: on 2 cores that took one core from the
    /// first training steps of every process (`bench --net deeplabv3 --dims 2 --base 16 --input 4,1,128,128`: the
    /// warm-up and first two timed steps at 0.025-0.027 s wall and 0.049-0.053 CPU s, then 0.021 s and 0.030 CPU s;
    /// with OPENBLAS_NUM_THREADS=1 every step at the steady rate). So the idle server threads are stopped here, through
    /// OpenBLAS's own fork-time shutdown (`blas_thread_shutdown_`, looked up at run time: a build without it keeps
    /// them); a later multi-threaded call (`Profiler.sgemmPeakGFLOPS`) starts them again.
    static let blasSingleThreaded: Bool = {
        openblas_set_num_threads(1)
        stopIdleBLASThreads()
        return true
    }()

    /// Stops OpenBLAS's server threads (they start again on the next multi-threaded call); see `blasSingleThreaded`.
    static func stopIdleBLASThreads() {
        if let shutdown = dlsym(nil, "blas_thread_shutdown_") {
            _ = unsafeBitCast(shutdown, to: (@convention(c) () -> Int32).self)()
        }
    }

    /// Floats per worker for one im2col tile (2 MB).
    static let tileBudget = 1 << 19

    /// Output positions per tile for a `[K, P]` im2col matrix.
    static func tileSize(k: Int, positions p: Int) -> Int {
        var t = Swift.max(128, tileBudget / Swift.max(k, 1))
        // Give both cores work when one sample is all there is.
        if p >= 2 * 128 { t = Swift.min(t, (p + Parallel.threads - 1) / Parallel.threads) }
        return Swift.max(1, Swift.min(t, p))
    }

    /// Human-readable shape of one convolution, e.g. `8->16 k3x3x3 @32x64x64 n1` (profiling keys).
    static func shapeKey(batch: Int, cin: Int, cout: Int, _ g: WindowGeometry) -> String {
        let k = g.kernel.suffix(g.spatialRank).map(String.init).joined(separator: "x")
        let o = g.output.suffix(g.spatialRank).map(String.init).joined(separator: "x")
        return "\(cin)->\(cout) k\(k) @\(o) n\(batch)"
    }

    // MARK: - im2col / col2im

    /// Fills `col` (`[channels*kvol, p1-p0]`, row-major) with the input values each output position reads (0 in padding).
    static func im2col(_ x: UnsafePointer<Float>, _ g: WindowGeometry, channels: Int, p0: Int, p1: Int,
                       col: UnsafeMutablePointer<Float>) {
        if gatherIm2colPays(g, p0: p0, p1: p1) { gatherIm2col(x, g, channels: channels, p0: p0, p1: p1, col: col); return }  // short rows
        walk(g, channels: channels, p0: p0, p1: p1) { xOff, colOff, len, step, zero in
            let d = col + colOff
            if zero { d.update(repeating: 0, count: len); return }
            let s = x + xOff
            if step == 1 { d.update(from: s, count: len) } else { stridedCopy(s, d, count: len, step: step) }
        }
    }

    /// Accumulates `col` (`[channels*kvol, p1-p0]`) back into the input-shaped buffer `dx` (adjoint of im2col).
    static func col2im(_ col: UnsafePointer<Float>, _ g: WindowGeometry, channels: Int, p0: Int, p1: Int,
                       dx: UnsafeMutablePointer<Float>) {
        if gatherIm2colPays(g, p0: p0, p1: p1) { gatherCol2im(col, g, channels: channels, p0: p0, p1: p1, dx: dx); return }  // short rows
        walk(g, channels: channels, p0: p0, p1: p1) { xOff, colOff, len, step, zero in
            if zero { return }
            let d = dx + xOff, s = col + colOff
            if step == 1 { for j in 0..<len { d[j] += s[j] } } else { for j in 0..<len { d[j * step] += s[j] } }
        }
    }

    /// Visits, for every im2col row and every output row segment of the tile, the run of columns that maps to
    /// valid input (`zero == false`, input offset `xOff`, input step `step`) and the runs that fall in padding.
    @inline(__always)
    static func walk(_ g: WindowGeometry, channels: Int, p0: Int, p1: Int,
                     _ visit: (_ xOff: Int, _ colOff: Int, _ len: Int, _ step: Int, _ zero: Bool) -> Void) {
        let (id, ih, iw) = (g.input[0], g.input[1], g.input[2])
        let (kd, kh, kw) = (g.kernel[0], g.kernel[1], g.kernel[2])
        let (sd, sh, sw) = (g.stride[0], g.stride[1], g.stride[2])
        let (pd, ph, pw) = (g.padding[0], g.padding[1], g.padding[2])
        let (dd, dh, dw) = (g.dilation[0], g.dilation[1], g.dilation[2])
        let (oh, ow) = (g.output[1], g.output[2])
        let ohw = oh * ow, ivol = id * ih * iw, ld = p1 - p0
        var row = 0
        for c in 0..<channels {
            for kz in 0..<kd {
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let off = kx * dw - pw
                        let oxLo = off >= 0 ? 0 : (-off + sw - 1) / sw
                        let oxHi = iw - 1 - off < 0 ? 0 : Swift.min(ow, (iw - 1 - off) / sw + 1)
                        var p = p0
                        while p < p1 {
                            let oz = p / ohw, rem = p - oz * ohw, oy = rem / ow, ox0 = rem - oy * ow
                            let len = Swift.min(ow - ox0, p1 - p)
                            let colOff = row * ld + (p - p0)
                            let iz = oz * sd - pd + kz * dd, iy = oy * sh - ph + ky * dh
                            if iz < 0 || iz >= id || iy < 0 || iy >= ih {
                                visit(0, colOff, len, sw, true)
                            } else {
                                let lo = Swift.min(Swift.max(ox0, oxLo), ox0 + len)
                                let hi = Swift.max(Swift.min(ox0 + len, oxHi), lo)
                                if lo > ox0 { visit(0, colOff, lo - ox0, sw, true) }
                                if hi > lo {
                                    visit(c * ivol + (iz * ih + iy) * iw + lo * sw + off, colOff + (lo - ox0), hi - lo, sw, false)
                                }
                                if ox0 + len > hi { visit(0, colOff + (hi - ox0), ox0 + len - hi, sw, true) }
                            }
                            p += len
                        }
                        row += 1
                    }
                }
            }
        }
    }

    // MARK: - Forward

    /// y[n] = W * im2col(x[n]) (+ bias), tiled over output positions, parallel over (sample, tile).
    /// `epilogue` (inference only) is applied to every output value after the bias; `winograd` lets the 3x3 shapes
    /// `useWinograd` takes run as Winograd F(4x4, 3x3) (not bit-identical to the other paths); `cacheFilter` (inference)
    /// reuses the transformed weights of the previous call with the same weights (`WinogradFilterCache`; F(4x4, 3x3) and
    /// the 5- and 7-wide Toom-Cook path).
    static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        y: UnsafeMutablePointer<Float>, batch: Int, cin: Int, cout: Int, _ g: WindowGeometry,
                        allowDirect: Bool = true, epilogue: Epilogue? = nil, winograd: Bool = false, cacheFilter: Bool = false) {
        if allowDirect && prunedForward(x: x, w: w, bias: bias, y: y, batch: batch, cin: cin, cout: cout, g, epilogue: epilogue, winograd: winograd) {
            return  // dilated kernels with taps wholly in the padding (ConvolutionTapPruning.swift)
        }
        if allowDirect && useWinogradND(cin: cin, cout: cout, g) {  // 5- and 7-wide kernels (ConvolutionWinogradND.swift)
            winogradNDForward(x: x, w: w, bias: bias, y: y, batch: batch, cin: cin, cout: cout, g, epilogue: epilogue,
                              cacheFilter: cacheFilter)
            return
        }
        if allowDirect && useStemDirect(cin: cin, g) {  // few-channel 7-wide input convs (ConvolutionStem.swift)
            stemConv(x: x, w: w, bias: bias, y: y, batch: batch, cin: cin, cout: cout, epilogue: epilogue, g)
            return
        }
        if winograd && allowDirect && useWinograd(cin: cin, cout: cout, g) {
            winogradConv(x: x, w: w, bias: bias, y: y, batch: batch, cin: cin, cout: cout, epilogue: epilogue, g, cacheFilter: cacheFilter)
            return
        }
        if allowDirect && (useDirect(g) || useDilatedDirect(g)) {  // dilated: ConvolutionDilated.swift
            directConv(x: x, w: w, bias: bias, y: y, batch: batch, cin: cin, cout: cout, wcin: cin, wcout: cout, flipped: false,
                       epilogue: epilogue, g)
            return
        }
        if allowDirect && usePointwiseSmall(cin: cin, cout: cout, g) {
            pointwiseSmall(x: x, w: w, wsCo: cin, wsCi: 1, bias: bias, y: y, batch: batch, cin: cin, cout: cout, positions: g.outputVolume,
                           epilogue: epilogue)
            return
        }
        _ = blasSingleThreaded
        let p = g.outputVolume, k = cin * g.kernelVolume, inStride = cin * g.inputVolume
        let t = tileSize(k: k, positions: p), tiles = (p + t - 1) / t, total = batch * tiles
        let pointwise = g.isPointwise
        let workers = Parallel.workerCount(total)
        let scratchCount = pointwise ? 1 : workers * k * t, scratch = BufferPool.take(scratchCount)
        defer { BufferPool.give(scratch, scratchCount) }
        Parallel.forEachWorker(total) { worker, range in
            let col = scratch + (pointwise ? 0 : worker * k * t)
            for job in range {
                let s = job / tiles, p0 = (job % tiles) * t, p1 = Swift.min(p, p0 + t), len = p1 - p0
                let xs = x + s * inStride, ys = y + s * cout * p + p0
                if pointwise {
                    sgemm(transA: false, transB: false, m: cout, n: len, k: k, a: w, lda: k, b: xs + p0, ldb: p, c: ys, ldc: p)
                } else {
                    im2col(xs, g, channels: cin, p0: p0, p1: p1, col: col)
                    sgemm(transA: false, transB: false, m: cout, n: len, k: k, a: w, lda: k, b: col, ldb: len, c: ys, ldc: p)
                }
                finishRows(ys, stride: p, len: len, cout: cout, bias: bias, epilogue: epilogue)
            }
        }
    }

    // MARK: - Backward data

    /// dx = col2im(W^T * gy), written (not accumulated) into `dx` of shape `[N, Cin, D, H, W]`.
    ///
    /// Parallel over samples when there are enough; otherwise over the tiles of each sample, with one private
    /// accumulation buffer per extra worker (overlapping windows would race).
    /// `winograd` lets shapes that `useWinograd` takes (with input and output channels swapped) run as Winograd
    /// F(4x4, 3x3) (`conv`'s backward rule; not bit-identical to the direct kernels); `ConvAlgorithm.winograd` forces it.
    static func backwardData(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                             batch: Int, cin: Int, cout: Int, _ g: WindowGeometry, allowDirect: Bool = true, winograd: Bool = false) {
        if allowDirect && prunedBackwardData(gy: gy, w: w, dx: dx, batch: batch, cin: cin, cout: cout, g, winograd: winograd) { return }
        if allowDirect && (algorithm == .winograd || (winograd && useWinograd(cin: cout, cout: cin, g) && winogradBackwardDataPays(g)))
            && winogradBackwardData(gy: gy, w: w, dx: dx, batch: batch, cin: cin, cout: cout, g) {
            return
        }
        if allowDirect && (useDirect(g) || useDilatedDirect(g)) {  // dilated: ConvolutionDilated.swift
            directConv(x: gy, w: w, bias: nil, y: dx, batch: batch, cin: cout, cout: cin, wcin: cin, wcout: cout, flipped: true, g)
            return
        }
        if allowDirect && usePointwiseSmall(cin: cin, cout: cout, g) {
            pointwiseSmall(x: gy, w: w, wsCo: 1, wsCi: cin, bias: nil, y: dx, batch: batch, cin: cout, cout: cin, positions: g.outputVolume)
            return
        }
        _ = blasSingleThreaded
        let p = g.outputVolume, k = cin * g.kernelVolume, inStride = cin * g.inputVolume
        let t = tileSize(k: k, positions: p), tiles = (p + t - 1) / t
        if g.isPointwise {  // no overlap: write each tile straight into dx
            Parallel.forEachChunk(batch * tiles) { range in
                for job in range {
                    let s = job / tiles, p0 = (job % tiles) * t, len = Swift.min(p, p0 + t) - p0
                    sgemm(transA: true, transB: false, m: k, n: len, k: cout, a: w, lda: k, b: gy + s * cout * p + p0, ldb: p,
                          c: dx + s * inStride + p0, ldc: p)
                }
            }
            return
        }
        if backwardDataAsConv(gy: gy, w: w, dx: dx, batch: batch, cin: cin, cout: cout, g) { return }
        dx.update(repeating: 0, count: batch * inStride)
        let workers = Parallel.threads
        let dcolAllCount = workers * k * t, dcolAll = BufferPool.take(dcolAllCount)
        defer { BufferPool.give(dcolAll, dcolAllCount) }

        func tile(_ s: Int, _ ti: Int, _ dcol: UnsafeMutablePointer<Float>, into target: UnsafeMutablePointer<Float>) {
            let p0 = ti * t, p1 = Swift.min(p, p0 + t), len = p1 - p0
            sgemm(transA: true, transB: false, m: k, n: len, k: cout, a: w, lda: k, b: gy + s * cout * p + p0, ldb: p, c: dcol, ldc: len)
            col2im(dcol, g, channels: cin, p0: p0, p1: p1, dx: target)
        }

        if batch >= workers {
            Parallel.forEachWorker(batch) { worker, range in
                let dcol = dcolAll + worker * k * t
                for s in range { for ti in 0..<tiles { tile(s, ti, dcol, into: dx + s * inStride) } }
            }
            return
        }
        let privateCount = Swift.max(0, Swift.min(workers, tiles) - 1)
        let privCount = Swift.max(1, privateCount * inStride), priv = BufferPool.take(privCount)
        defer { BufferPool.give(priv, privCount) }
        for s in 0..<batch {
            let dxs = dx + s * inStride
            if privateCount > 0 { priv.update(repeating: 0, count: privateCount * inStride) }
            let used = Parallel.forEachWorker(tiles) { worker, range in
                let dcol = dcolAll + worker * k * t
                let target = worker == 0 ? dxs : priv + (worker - 1) * inStride
                for ti in range { tile(s, ti, dcol, into: target) }
            }
            if used > 1 {
                for wk in 1..<used {
                    let src = UnsafePointer(priv + (wk - 1) * inStride)
                    Parallel.forEachChunk(inStride, minPerChunk: 1 << 16) { r in
                        for i in r { dxs[i] += src[i] }
                    }
                }
            }
        }
    }

    /// Stride-1 backward-data as a forward convolution of `gy` with the flipped, channel-swapped kernel and
    /// padding `dilation*(kernel-1) - padding`: a gather (no overlapping writes, no private buffers) whose GEMM
    /// has the long K = Cout*kvol inner dimension. Returns false when the geometry does not allow it.
    static func backwardDataAsConv(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                   batch: Int, cin: Int, cout: Int, _ g: WindowGeometry) -> Bool {
        guard g.stride == [1, 1, 1] else { return false }
        var pad = [Int](repeating: 0, count: 3)
        for d in 0..<3 {
            pad[d] = g.dilation[d] * (g.kernel[d] - 1) - g.padding[d]
            if pad[d] < 0 { return false }
        }
        let r = g.spatialRank
        let g2 = WindowGeometry(op: "conv backward", inputSpatial: g.outputSpatial, kernel: Array(g.kernel.suffix(r)),
                                stride: nil, padding: Array(pad.suffix(r)), dilation: Array(g.dilation.suffix(r)))
        guard g2.output == g.input else { return false }
        // wf[ci, co, k'] = w[co, ci, kvol-1-k'] (flipping all three kernel axes reverses the flat kernel index).
        let kvol = g.kernelVolume
        let wf = UnsafeMutablePointer<Float>.allocate(capacity: cin * cout * kvol)
        defer { wf.deallocate() }
        for co in 0..<cout {
            for ci in 0..<cin {
                let src = w + (co * cin + ci) * kvol, dst = wf + (ci * cout + co) * kvol
                for j in 0..<kvol { dst[j] = src[kvol - 1 - j] }
            }
        }
        forward(x: gy, w: wf, bias: nil, y: dx, batch: batch, cin: cout, cout: cin, g2)
        return true
    }

    // MARK: - Backward weight

    /// dW = sum over samples and tiles of gy * im2col(x)^T, written into `dw` (`[Cout, K]`).
    /// `winograd` lets the shapes `useWinograd` takes run as Winograd F(4x4, 3x3) (`conv`'s backward rule; not
    /// bit-identical to the direct kernels).
    static func backwardWeight(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                               batch: Int, cin: Int, cout: Int, _ g: WindowGeometry, allowDirect: Bool = true, winograd: Bool = false) {
        if allowDirect && prunedBackwardWeight(x: x, gy: gy, dw: dw, batch: batch, cin: cin, cout: cout, g, winograd: winograd) { return }
        if allowDirect && useWinogradND(cin: cin, cout: cout, g) {
            winogradNDWeightGrad(x: x, gy: gy, dw: dw, batch: batch, cin: cin, cout: cout, g)
            return
        }
        if allowDirect && useStemDirect(cin: cin, g) {  // few-channel 7-wide input convs (ConvolutionStem.swift)
            stemWeightGrad(x: x, gy: gy, dw: dw, batch: batch, cin: cin, cout: cout, g)
            return
        }
        if allowDirect && winograd && useWinograd(cin: cin, cout: cout, g) && winogradWeightGradPays(batch: batch, g) {
            winogradWeightGrad(x: x, gy: gy, dw: dw, batch: batch, cin: cin, cout: cout, g)
            return
        }
        if allowDirect && (useDirect(g) || useDilatedDirect(g)) {  // dilated: ConvolutionDilated.swift
            directWeightGrad(x: x, gy: gy, dw: dw, batch: batch, cin: cin, cout: cout, g)
            return
        }
        if allowDirect && usePointwiseSmall(cin: cin, cout: cout, g) {
            pointwiseSmallWeightGrad(x: x, gy: gy, dw: dw, batch: batch, cin: cin, cout: cout, positions: g.outputVolume)
            return
        }
        let p = g.outputVolume, k = cin * g.kernelVolume, inStride = cin * g.inputVolume
        let t = tileSize(k: k, positions: p), tiles = (p + t - 1) / t, total = batch * tiles
        let pointwise = g.isPointwise
        _ = blasSingleThreaded
        let workers = Parallel.workerCount(total)
        let accCount = workers * cout * k, acc = BufferPool.take(accCount)
        acc.initialize(repeating: 0, count: workers * cout * k)
        let scratchCount = pointwise ? 1 : workers * k * t, scratch = BufferPool.take(scratchCount)
        defer { BufferPool.give(acc, accCount); BufferPool.give(scratch, scratchCount) }
        Parallel.forEachWorker(total) { worker, range in
            let col = scratch + (pointwise ? 0 : worker * k * t), dwk = acc + worker * cout * k
            for job in range {
                let s = job / tiles, p0 = (job % tiles) * t, p1 = Swift.min(p, p0 + t), len = p1 - p0
                let xs = x + s * inStride, gs = gy + s * cout * p + p0
                if pointwise {
                    sgemm(transA: false, transB: true, m: cout, n: k, k: len, a: gs, lda: p, b: xs + p0, ldb: p, beta: 1, c: dwk, ldc: k)
                } else {
                    im2col(xs, g, channels: cin, p0: p0, p1: p1, col: col)
                    sgemm(transA: false, transB: true, m: cout, n: k, k: len, a: gs, lda: p, b: col, ldb: len, beta: 1, c: dwk, ldc: k)
                }
            }
        }
        dw.update(from: acc, count: cout * k)
        for wk in 1..<workers { let a = acc + wk * cout * k; for i in 0..<(cout * k) { dw[i] += a[i] } }
    }

    /// Per-channel sums of `gy` (`[N, C, P]`) into `db` (`[C]`): the bias gradient. Each (sample, channel) row is summed
    /// in order in Float and the rows of a channel are added in sample order in Double (the values of the serial loop this
    /// replaced, bit for bit); the rows are split across the workers and summed eight at a time, so eight independent
    /// addition chains are in flight instead of one.
    static func channelSums(_ gy: UnsafePointer<Float>, batch: Int, channels: Int, positions p: Int, into db: UnsafeMutablePointer<Float>) {
        let pairs = batch * channels
        var part = [Float](repeating: 0, count: pairs)
        part.withUnsafeMutableBufferPointer { pb in
            guard let pp = pb.baseAddress else { return }
            Parallel.forEachChunk(pairs, minPerChunk: Swift.max(1, 65536 / Swift.max(p, 1))) { range in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    let r = gy + i * p
                    var a0: Float = 0, a1: Float = 0, a2: Float = 0, a3: Float = 0, a4: Float = 0, a5: Float = 0, a6: Float = 0, a7: Float = 0
                    for j in 0..<p {
                        a0 += r[j]; a1 += r[p + j]; a2 += r[2 * p + j]; a3 += r[3 * p + j]
                        a4 += r[4 * p + j]; a5 += r[5 * p + j]; a6 += r[6 * p + j]; a7 += r[7 * p + j]
                    }
                    pp[i] = a0; pp[i + 1] = a1; pp[i + 2] = a2; pp[i + 3] = a3
                    pp[i + 4] = a4; pp[i + 5] = a5; pp[i + 6] = a6; pp[i + 7] = a7
                    i += 8
                }
                while i < range.upperBound {
                    let r = gy + i * p
                    var acc: Float = 0
                    for j in 0..<p { acc += r[j] }
                    pp[i] = acc
                    i += 1
                }
            }
        }
        for c in 0..<channels {
            var total: Double = 0
            for s in 0..<batch { total += Double(part[s * channels + c]) }
            db[c] = Float(total)
        }
    }
}
