import CKernels

/// Direct SIMD convolution (C kernels in `CKernels`) for 3-wide "same" convolutions: no im2col buffer and no skinny
/// GEMM (OpenBLAS loses most of its speed when one matrix side has 8-64 columns). Chosen per shape by `ConvKernels.useDirect`.

/// Which convolution kernels run (tests force each path to compare them).
public enum ConvAlgorithm: Sendable {
    /// Per shape: direct kernels wherever the geometry allows them (measured faster at every benchmark shape),
    /// im2col + sgemm elsewhere; 3x3 (3x3x3) stride-1 convolutions with enough input and output channels
    /// (`ConvKernels.useWinograd`) run as Winograd F(4x4, 3x3) in inference and in training's backward-data and
    /// backward-weight passes, and in training's forward on 2D planes (`ConvKernels.winogradTrainingForwardPays`).
    /// Training's forward of 3D convolutions stays direct: the unet3d-s8 gradients then keep PyTorch parity to 1e-4
    /// (worst 1.9e-5), while a Winograd forward moves them by 3e-3 (its ~1e-5 rounding of the activations, amplified
    /// through the batch norms' statistics of its 1x2x2 bottleneck); measured by UNetWinogradTrainingTests.
    case automatic
    /// `.automatic` plus Winograd in training's forward pass (the same shapes): less CPU time per step, gradients
    /// within about 3e-3 of PyTorch's (relative norm per parameter) instead of 1e-4.
    case winogradTraining
    /// Always im2col + sgemm (the reference path).
    case gemm
    /// Direct kernels wherever the geometry allows them (no Winograd anywhere: inference bit-identical to the unfused
    /// ops and to training's forward, gradients from the direct kernels).
    case direct
    /// Winograd F(4x4, 3x3) for every 3x3 (3x3x3) stride-1 convolution it supports, whatever the channel count: inference,
    /// and training's forward and backward data (not bit-identical to the direct kernels); direct kernels elsewhere.
    case winograd
}

extension ConvKernels {
    /// Kernel selection, process-wide (set by the CLI and benchmarks); `scopedAlgorithm` overrides it within a task.
    public static var algorithm: ConvAlgorithm {
        get { scopedAlgorithm ?? processAlgorithm }
        set { processAlgorithm = newValue }
    }
    nonisolated(unsafe) static var processAlgorithm: ConvAlgorithm = .automatic
    /// Kernel selection for the current task only (tests running in parallel each pick their own).
    @TaskLocal public static var scopedAlgorithm: ConvAlgorithm?

    /// Training passes of a convolution.
    public struct TrainingPasses: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let forward = TrainingPasses(rawValue: 1), backwardData = TrainingPasses(rawValue: 2)
        public static let backwardWeight = TrainingPasses(rawValue: 4)
        public static let all: TrainingPasses = [.forward, .backwardData, .backwardWeight]
    }
    /// The training passes `.winogradTraining` runs as Winograd (all three; tests narrow it within a task).
    @TaskLocal public static var winogradTrainingPasses: TrainingPasses = .all

    /// Whether `conv`'s pass `pass` may take Winograd (for the shapes `useWinograd` takes): under `.automatic` the two
    /// backward passes, and the forward on the geometries `winogradTrainingForwardPays` takes (2D planes; `g` nil: no
    /// forward), under `.winogradTraining` the passes in `winogradTrainingPasses`, under `.winograd` the forward and
    /// backward data (its original scope).
    static func trainsWithWinograd(_ pass: TrainingPasses, _ g: WindowGeometry? = nil) -> Bool {
        switch algorithm {
        case .automatic: return pass != .forward || g.map(winogradTrainingForwardPays) == true
        case .winogradTraining: return winogradTrainingPasses.contains(pass)
        case .winograd: return pass != .backwardWeight
        case .gemm, .direct: return false
        }
    }

    /// Whether the direct kernels support `g`: stride 1, dilation 1, kernel (1|3, 1|3, 3) with "same" padding, W % 16 == 0.
    static func directSupports(_ g: WindowGeometry) -> Bool {
        g.stride == [1, 1, 1] && g.dilation == [1, 1, 1] && g.kernel[2] == 3
            && (g.kernel[0] == 1 || g.kernel[0] == 3) && (g.kernel[1] == 1 || g.kernel[1] == 3)
            && g.padding == g.kernel.map { $0 / 2 } && g.output == g.input && g.input[2] % 16 == 0
    }

    /// Whether to run the direct kernels (forward, backward data and backward weight) for this geometry.
    ///
    /// Measured with `semiseg bench --layers --conv gemm|direct` on unet2d-s16 (2 threads, GF/s per CPU second):
    /// forward / backward-data / backward-weight run at 80-100 on the direct kernels against 50-78 for im2col + sgemm
    /// from 16 up to 256 channels (W 16-256), so every supported geometry goes direct.
    static func useDirect(_ g: WindowGeometry) -> Bool {
        switch algorithm {
        case .gemm: return false
        case .direct, .automatic, .winograd, .winogradTraining: return directSupports(g)
        }
    }

    /// Calls `body(worker, sample, rowRange)` over all (sample, z*H+y) output rows split across the workers.
    static func forEachRowSpan(batch: Int, rows: Int, _ body: (_ worker: Int, _ sample: Int, _ r0: Int, _ r1: Int) -> Void) -> Int {
        Parallel.forEachWorker(batch * rows) { worker, range in
            var i = range.lowerBound
            while i < range.upperBound {
                let s = i / rows, r0 = i - s * rows, r1 = Swift.min(rows, r0 + (range.upperBound - i))
                body(worker, s, r0, r1)
                i += r1 - r0
            }
        }
    }

    /// Packs `[Cout, Cin, KD, KH, 3]` weights as `[Cin, KD, KH, 3, Cout]` (forward) or, flipped, as
    /// `[Cout, KD, KH, 3, Cin]` (backward data: the convolution of gy with the spatially flipped, transposed kernel).
    static func packWeights(_ w: UnsafePointer<Float>, cin: Int, cout: Int, taps: Int, flipped: Bool) -> [Float] {
        let kv = taps * 3
        var out = [Float](repeating: 0, count: cin * cout * kv)
        out.withUnsafeMutableBufferPointer { o in
            for co in 0..<cout {
                for ci in 0..<cin {
                    for k in 0..<kv {
                        let v = w[(co * cin + ci) * kv + k]
                        if flipped { o[(co * kv + (kv - 1 - k)) * cin + ci] = v } else { o[(ci * kv + k) * cout + co] = v }
                    }
                }
            }
        }
        return out
    }

    /// Direct forward (or, with `flipped`, backward data) over every sample: y `[N, cout, D, H, W]` from x `[N, cin, D, H, W]`.
    /// Input rows are read in place (no im2col, no per-row copies); rows are split across the workers.
    /// `epilogue` (inference) is applied in the store of each output vector.
    static func directConv(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                           batch: Int, cin: Int, cout: Int, wcin: Int, wcout: Int, flipped: Bool, epilogue: Epilogue? = nil,
                           _ g: WindowGeometry) {
        if g.dilation[2] > 1 {  // dilated taps on zero-padded rows (ConvolutionDilated.swift)
            dilatedConv(x: x, w: w, bias: bias, y: y, batch: batch, cin: cin, cout: cout, wcin: wcin, wcout: wcout, flipped: flipped,
                        epilogue: epilogue, g)
            return
        }
        let (d, h, wd) = (g.input[0], g.input[1], g.input[2]), (kd, kh) = (g.kernel[0], g.kernel[1])
        let vol = d * h * wd, taps = kd * kh
        let packed = packWeights(w, cin: wcin, cout: wcout, taps: taps, flipped: flipped)
        forEachOutputRowSpan(batch: batch, rows: d * h, packed: packed, epilogue: epilogue) { s, r0, r1, wb, epArg in
            ssk_conv3_rows(x + s * cin * vol, wb, bias, epArg, y + s * cout * vol, Int32(cin), Int32(cout), Int32(d), Int32(h),
                           Int32(wd), Int32(kd), Int32(kh), r0, r1)
        }
    }

    /// Bytes of x and gy rows one weight-gradient chunk keeps hot (about half of a core's L2).
    static let weightGradChunkBytes = 384 << 10
    /// Positions one weight-gradient chunk covers at least (each chunk ends with a horizontal sum per weight).
    static let weightGradChunkPositions = 1024

    /// Direct backward weight: dw `[Cout, Cin, KD, KH, 3]` = sum over samples and positions of gy * shifted x.
    /// Each worker sums its rows into a private `[Cout, Cin, KD, KH, 3]` buffer; the buffers are added at the end.
    /// `chunkRows` overrides the rows per chunk and `portable` skips the AVX-512 kernel (tests).
    static func directWeightGrad(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                 batch: Int, cin: Int, cout: Int, _ g: WindowGeometry, chunkRows: Int? = nil, portable: Bool = false) {
        if g.dilation[2] > 1 {  // dilated taps on zero-padded rows (ConvolutionDilated.swift)
            dilatedWeightGrad(x: x, gy: gy, dw: dw, batch: batch, cin: cin, cout: cout, g, chunkRows: chunkRows)
            return
        }
        let (d, h, wd) = (g.input[0], g.input[1], g.input[2]), (kd, kh) = (g.kernel[0], g.kernel[1])
        let vol = d * h * wd, nw = cout * cin * kd * kh * 3
        let chunk = weightGradChunk(cin: cin, cout: cout, width: wd, override: chunkRows)
        sumOverRowSpans(batch: batch, rows: d * h, into: dw, count: nw) { target, s, r0, r1 in
            ssk_conv3_wgrad_rows(x + s * cin * vol, gy + s * cout * vol, target, Int32(cin), Int32(cout),
                                 Int32(d), Int32(h), Int32(wd), Int32(kd), Int32(kh), r0, r1, chunk, portable ? 1 : 0)
        }
    }
}

// MARK: - Pointwise convolutions with few channels

extension ConvKernels {
    /// Positions per block of the pointwise kernels (one block of every channel stays in L1).
    static let pointwiseBlock = 1024

    /// Whether a 1-wide convolution goes to the small-channel loops instead of sgemm (a 2-class head, say).
    static func usePointwiseSmall(cin: Int, cout: Int, _ g: WindowGeometry) -> Bool {
        algorithm != .gemm && g.isPointwise && Swift.min(cin, cout) <= 4
    }

    /// y[n, co, p] = sum_ci w[co * wsCo + ci * wsCi] * x[n, ci, p] (+ bias[co]) for a 1-wide convolution; `wsCo`/`wsCi`
    /// let the backward-data pass reuse it with the transposed weight. Overwrites `y`.
    static func pointwiseSmall(x: UnsafePointer<Float>, w: UnsafePointer<Float>, wsCo: Int, wsCi: Int, bias: UnsafePointer<Float>?,
                               y: UnsafeMutablePointer<Float>, batch: Int, cin: Int, cout: Int, positions p: Int, epilogue: Epilogue? = nil) {
        let blocks = (p + pointwiseBlock - 1) / pointwiseBlock
        Parallel.forEachChunk(batch * blocks) { range in
            for job in range {
                let s = job / blocks, p0 = (job % blocks) * pointwiseBlock, len = Swift.min(p, p0 + pointwiseBlock) - p0
                let xs = x + s * cin * p + p0, ys = y + s * cout * p + p0
                for co in 0..<cout {
                    let row = ys + co * p, b = bias?[co] ?? 0
                    let w0 = w[co * wsCo]
                    for j in 0..<len { row[j] = w0 * xs[j] }
                    for ci in 1..<Swift.max(cin, 1) {
                        let wv = w[co * wsCo + ci * wsCi], src = xs + ci * p
                        for j in 0..<len { row[j] += wv * src[j] }
                    }
                    if bias != nil { for j in 0..<len { row[j] += b } }
                    epilogue?.apply(row, len, channel: co)
                }
            }
        }
    }

    /// dw[co, ci] = sum over samples and positions of gy[n, co, p] * x[n, ci, p] (1-wide convolution). Overwrites `dw`.
    static func pointwiseSmallWeightGrad(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                         batch: Int, cin: Int, cout: Int, positions p: Int) {
        let blocks = (p + pointwiseBlock - 1) / pointwiseBlock, total = batch * blocks
        let workers = Parallel.workerCount(total), nw = cout * cin
        var partial = [Double](repeating: 0, count: workers * nw)
        partial.withUnsafeMutableBufferPointer { pb in
            guard let part = pb.baseAddress else { return }
            Parallel.forEachWorker(total) { worker, range in
                let acc = part + worker * nw
                for job in range {
                    let s = job / blocks, p0 = (job % blocks) * pointwiseBlock, len = Swift.min(p, p0 + pointwiseBlock) - p0
                    let xs = x + s * cin * p + p0, gs = gy + s * cout * p + p0
                    for co in 0..<cout {
                        let g = gs + co * p
                        for ci in 0..<cin {
                            let xr = xs + ci * p
                            var v = SIMD16<Float>(repeating: 0), j = 0
                            while j + 16 <= len {
                                v.addProduct(UnsafeRawPointer(g + j).loadUnaligned(as: SIMD16<Float>.self),
                                             UnsafeRawPointer(xr + j).loadUnaligned(as: SIMD16<Float>.self))
                                j += 16
                            }
                            var t = v.sum()
                            while j < len { t += g[j] * xr[j]; j += 1 }
                            acc[co * cin + ci] += Double(t)
                        }
                    }
                }
            }
            for i in 0..<nw {
                var t: Double = 0
                for wk in 0..<workers { t += part[wk * nw + i] }
                dw[i] = Float(t)
            }
        }
    }
}
