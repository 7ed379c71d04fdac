/// Inference convolution of a channel concatenation (a U-Net decoder's `concat([skip, upsampled])`) without making the
/// concatenated tensor: the Winograd input transform reads each channel plane from its own tensor (docs/ARCHITECTURE.md,
/// Engine).

extension Tensor {
    /// `Tensor.concat(parts, axis: 1).convInference(weight, ...)`, the same values, for inference (nothing records).
    ///
    /// Where the convolution runs as Winograd F(4x4, 3x3) (`ConvKernels.useWinograd`) and there are two parts, the
    /// kernel reads both in place; otherwise the parts are concatenated first.
    ///
    /// - Parameters:
    ///   - parts: `[N, C_i, *spatial]` each, equal in every dimension but the channels.
    ///   - weight: `[Cout, sum C_i, *kernel]`; the other arguments as `convInference`.
    /// - Returns: `[N, Cout, *out]`.
    public static func convInference(concatenating parts: [Tensor], _ weight: Tensor, bias: Tensor?, scale: [Float]?, shift: [Float]?,
                                     relu: Bool, stride: [Int]? = nil, padding: [Int]? = nil, dilation: [Int]? = nil) -> Tensor {
        precondition(!parts.isEmpty, "convInference(concatenating:): no tensors")
        if let y = pointwiseConcatInference(parts, weight, bias: bias, scale: scale, shift: shift, relu: relu,
                                            stride: stride, padding: padding, dilation: dilation) {
            return y
        }
        if parts.count == 2, parts[0].rank == parts[1].rank, parts[0].rank == 4 || parts[0].rank == 5,
           parts[0].shape[0] == parts[1].shape[0], parts[0].shape.dropFirst(2) == parts[1].shape.dropFirst(2), weight.rank == parts[0].rank {
            let (a, b) = (parts[0], parts[1])
            let cin = a.shape[1] + b.shape[1], cout = weight.shape[0]
            let g = WindowGeometry(op: "convInference", inputSpatial: Array(a.shape[2...]), kernel: Array(weight.shape[2...]),
                                   stride: stride, padding: padding, dilation: dilation)
            if ConvKernels.useWinograd(cin: cin, cout: cout, g) {
                precondition(weight.shape[1] == cin,
                             "convInference: inputs \(a.shape) + \(b.shape) have \(cin) channels but weight \(weight.shape) expects \(weight.shape[1])")
                checkInPlaceInference([a, b], weight, bias: bias, cout: cout)
                return a.convInferenceRun(second: b, weight, bias: bias, scale: scale, shift: shift, relu: relu,
                                          batch: a.shape[0], cin: cin, cout: cout, g)
            }
        }
        return Tensor.concat(parts, axis: 1).convInference(weight, bias: bias, scale: scale, shift: shift, relu: relu,
                                                           stride: stride, padding: padding, dilation: dilation)
    }

    /// The checks `convArguments` makes for `convInference`, for the variants that read their input in place (a concat,
    /// an upsampling) and so skip it: nothing records (no backward rule), the bias fits, the inputs are finite.
    static func checkInPlaceInference(_ inputs: [Tensor], _ weight: Tensor, bias: Tensor?, cout: Int) {
        let described = inputs.map { "\($0.shape)" }.joined(separator: " + ")
        precondition(!GradMode.isEnabled || !(inputs.contains { $0.requiresGrad } || weight.requiresGrad || bias?.requiresGrad == true),
                     "convInference: inference only (no backward rule); call it under withNoGrad, input \(described)")
        if let bias { precondition(bias.shape == [cout], "convInference: bias \(bias.shape) must be [\(cout)] for weight \(weight.shape)") }
        precondition(inputs.allSatisfy { Tensor.allFinite($0.storage.pointer, $0.count) }, "convInference: input \(described) contains NaN or Inf")
    }

    /// Positions per tile of `pointwiseConcatInference`: the gathered `[sum C_i, tile]` input block and the `[Cout, tile]`
    /// output block stay in one core's L2 cache (about 512 KB together).
    static func pointwiseConcatTile(cin: Int, cout: Int, positions p: Int) -> Int {
        var t = Swift.max(64, (131_072 / Swift.max(cin + cout, 1)) & ~15)
        if p >= 2 * 64 { t = Swift.min(t, (p + Parallel.threads - 1) / Parallel.threads) }  // both cores busy on one sample
        return Swift.max(1, Swift.min(t, p))
    }

    /// A 1x1 (1x1x1) convolution of the channel concatenation of any number of parts (the dilated FCN's head over all its
    /// layers' features) without the concatenated tensor: per tile of positions the parts' rows are gathered into a
    /// cache-sized `[sum C_i, tile]` block and multiplied by the weight in one sgemm, then bias and epilogue. Nil when the
    /// geometry is not pointwise or the parts do not fit (the caller concatenates). The values of the concatenated
    /// convolution up to sgemm's summation order over tiles of another width (within 1e-6 relative; not bit for bit).
    static func pointwiseConcatInference(_ parts: [Tensor], _ weight: Tensor, bias: Tensor?, scale: [Float]?, shift: [Float]?,
                                         relu: Bool, stride: [Int]?, padding: [Int]?, dilation: [Int]?) -> Tensor? {
        let a = parts[0]
        guard parts.count >= 2, a.rank == 4 || a.rank == 5, weight.rank == a.rank,
              parts.allSatisfy({ $0.rank == a.rank && $0.shape[0] == a.shape[0] && $0.shape.dropFirst(2) == a.shape.dropFirst(2) })
        else { return nil }
        let g = WindowGeometry(op: "convInference", inputSpatial: Array(a.shape[2...]), kernel: Array(weight.shape[2...]),
                               stride: stride, padding: padding, dilation: dilation)
        let channels = parts.map { $0.shape[1] }, cin = channels.reduce(0, +), cout = weight.shape[0]
        guard g.isPointwise, !ConvKernels.usePointwiseSmall(cin: cin, cout: cout, g), ConvKernels.algorithm != .gemm else { return nil }
        precondition(weight.shape[1] == cin,
                     "convInference: inputs \(parts.map { $0.shape }) have \(cin) channels but weight \(weight.shape) expects \(weight.shape[1])")
        precondition((scale == nil) == (shift == nil), "convInference: scale and shift must be given together")
        precondition(scale.map { $0.count == cout } ?? true && shift.map { $0.count == cout } ?? true,
                     "convInference: scale and shift must have \(cout) entries for weight \(weight.shape)")
        checkInPlaceInference(parts, weight, bias: bias, cout: cout)
        _ = ConvKernels.blasSingleThreaded
        let batch = a.shape[0], p = g.outputVolume
        let out = Tensor.empty([batch, cout] + g.outputSpatial)
        let t = pointwiseConcatTile(cin: cin, cout: cout, positions: p), tiles = (p + t - 1) / t, total = batch * tiles
        let workers = Parallel.workerCount(total), scratchCount = workers * cin * t, scratch = BufferPool.take(scratchCount)
        defer { BufferPool.give(scratch, scratchCount) }
        let sources = parts.map { UnsafePointer($0.storage.pointer) }
        let w = UnsafePointer(weight.storage.pointer), y = out.storage.pointer, b = bias.map { UnsafePointer($0.storage.pointer) }
        let flops = 2.0 * Double(batch * cout * p) * Double(cin)
        let key = Profiler.isEnabled ? ConvKernels.shapeKey(batch: batch, cin: cin, cout: cout, g) + " concat-in-place" : ""
        let sc = scale ?? [], sh = shift ?? []
        sc.withUnsafeBufferPointer { ps in
            sh.withUnsafeBufferPointer { pt in
                let ep = ConvKernels.Epilogue(scale: scale == nil ? nil : ps.baseAddress, shift: shift == nil ? nil : pt.baseAddress, relu: relu)
                let epilogue = scale == nil && !relu ? nil : ep
                Profiler.measure("conv.forward", key: key, flops: flops) {
                    Parallel.forEachWorker(total) { worker, range in
                        let col = scratch + worker * cin * t
                        for job in range {
                            let s = job / tiles, p0 = (job % tiles) * t, len = Swift.min(p, p0 + t) - p0
                            var row = 0
                            for (src, c) in zip(sources, channels) {
                                let xs = src + s * c * p + p0
                                for ci in 0..<c { (col + (row + ci) * len).update(from: xs + ci * p, count: len) }
                                row += c
                            }
                            let ys = y + s * cout * p + p0
                            sgemm(transA: false, transB: false, m: cout, n: len, k: cin, a: w, lda: cin, b: col, ldb: len, c: ys, ldc: p)
                            ConvKernels.finishRows(ys, stride: p, len: len, cout: cout, bias: b, epilogue: epilogue)
                        }
                    }
                }
            }
        }
        if Profiler.isEnabled && !Profiler.inBackward { Profiler.lap("conv") }
        return out
    }
}
