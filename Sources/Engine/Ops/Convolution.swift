/// Convolution and transposed convolution over 2 or 3 spatial dims (NCHW / NCDHW), each with its backward rule.
/// Kernels (tiled im2col + sgemm) live in `ConvolutionKernels.swift`.

extension Tensor {
    // MARK: - Convolution

    /// Cross-correlation as in PyTorch's `conv2d` / `conv3d` (no groups).
    ///
    /// - Parameters:
    ///   - weight: `[Cout, Cin, *kernel]` (kernel has 2 or 3 dims, matching the input's spatial rank).
    ///   - bias: `[Cout]` or nil.
    ///   - stride, padding, dilation: one entry per spatial dim; nil means 1 / 0 / 1. Zero padding.
    /// - Returns: `[N, Cout, *out]` with `out = (in + 2*padding - dilation*(kernel-1) - 1) / stride + 1`.
    ///   `self` is `[N, Cin, H, W]` or `[N, Cin, D, H, W]` and must be finite.
    public func conv(_ weight: Tensor, bias: Tensor?, stride: [Int]? = nil, padding: [Int]? = nil, dilation: [Int]? = nil) -> Tensor {
        let (batch, cin, cout, g) = convArguments("conv", weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
        if let r = ConvKernels.spaceToBatchRate(input: shape, weight: weight.shape, stride: stride, padding: padding, dilation: dilation) {
            // dilated 3x3 as an undilated one on polyphase sub-planes (ConvolutionSpaceToBatch.swift)
            return spaceToBatch(r).conv(weight, bias: bias, padding: [1, 1]).batchToSpace(r, batch: batch)
        }
        let out = Tensor.empty([batch, cout] + g.outputSpatial)
        let flops = 2.0 * Double(batch * cout * g.outputVolume) * Double(cin * g.kernelVolume)
        // Winograd F(4x4, 3x3) per pass as `ConvKernels.trainsWithWinograd` says (`.automatic`: the backward passes, and
        // the forward on 2D planes; docs/ARCHITECTURE.md, Engine); the profile marks a Winograd forward (its GFLOP/s count
        // the direct convolution's FLOPs). Recording and no-grad passes take the same kernels, so a train-mode pass gives
        // the same values with and without recording.
        let winograd = ConvKernels.trainsWithWinograd(.forward, g), winogradData = ConvKernels.trainsWithWinograd(.backwardData)
        let winogradWeight = ConvKernels.trainsWithWinograd(.backwardWeight)
        let key = Profiler.isEnabled
            ? ConvKernels.shapeKey(batch: batch, cin: cin, cout: cout, g)
                + (winograd && ConvKernels.useWinograd(cin: cin, cout: cout, g) ? " wino" : "")
                + (winogradWeight && ConvKernels.useWinograd(cin: cin, cout: cout, g) && ConvKernels.winogradWeightGradPays(batch: batch, g)
                    ? " wino-bw" : "")
            : ""
        Profiler.measure("conv.forward", key: key, flops: flops) {
            ConvKernels.forward(x: storage.pointer, w: weight.storage.pointer, bias: bias.map { UnsafePointer($0.storage.pointer) },
                                y: out.storage.pointer, batch: batch, cin: cin, cout: cout, g, winograd: winograd)
        }
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        return Tensor.record("conv", out, inputs: inputs) { gy in
            var gx: Tensor?, gw: Tensor?, gb: Tensor?
            if self.requiresGrad {
                let t = Tensor.empty(self.shape)
                Profiler.measure("conv.backward_data", key: key, flops: flops) {
                    ConvKernels.backwardData(gy: gy.storage.pointer, w: weight.storage.pointer, dx: t.storage.pointer,
                                             batch: batch, cin: cin, cout: cout, g, winograd: winogradData)
                }
                gx = t
            }
            if weight.requiresGrad {
                let t = Tensor.empty(weight.shape)
                Profiler.measure("conv.backward_weight", key: key, flops: flops) {
                    ConvKernels.backwardWeight(x: self.storage.pointer, gy: gy.storage.pointer, dw: t.storage.pointer,
                                               batch: batch, cin: cin, cout: cout, g, winograd: winogradWeight)
                }
                gw = t
            }
            if let bias, bias.requiresGrad {
                let t = Tensor.empty(bias.shape)
                ConvKernels.channelSums(gy.storage.pointer, batch: batch, channels: cout, positions: g.outputVolume, into: t.storage.pointer)
                gb = t
            }
            return bias == nil ? [gx, gw] : [gx, gw, gb]
        }
    }

    /// Checks the arguments of a convolution of `self` with `weight` (see `conv`); returns (N, Cin, Cout, geometry).
    func convArguments(_ op: String, _ weight: Tensor, bias: Tensor?, stride: [Int]?, padding: [Int]?, dilation: [Int]?)
        -> (Int, Int, Int, WindowGeometry) {
        precondition(rank == 4 || rank == 5, "\(op): input must be [N, Cin, H, W] or [N, Cin, D, H, W], got \(shape)")
        precondition(weight.rank == rank,
                     "\(op): weight \(weight.shape) must be [Cout, Cin, *kernel] with rank \(rank) for input \(shape)")
        let batch = shape[0], cin = shape[1], cout = weight.shape[0]
        precondition(weight.shape[1] == cin,
                     "\(op): input \(shape) has \(cin) channels but weight \(weight.shape) expects \(weight.shape[1])")
        precondition(cout > 0, "\(op): weight \(weight.shape) has no output channels")
        if let bias { precondition(bias.shape == [cout], "\(op): bias \(bias.shape) must be [\(cout)] for weight \(weight.shape)") }
        precondition(Tensor.allFinite(storage.pointer, count), "\(op): input \(shape) contains NaN or Inf")
        let g = WindowGeometry(op: op, inputSpatial: Array(shape[2...]), kernel: Array(weight.shape[2...]),
                               stride: stride, padding: padding, dilation: dilation)
        return (batch, cin, cout, g)
    }

    // MARK: - Transposed convolution

    /// Transposed convolution as in PyTorch's `conv_transpose2d` / `conv_transpose3d` (no groups): the adjoint of `conv`.
    ///
    /// - Parameters:
    ///   - weight: PyTorch ConvTranspose layout `[Cin, Cout, *kernel]`.
    ///   - bias: `[Cout]` or nil.
    ///   - stride, padding, dilation: per spatial dim; nil means 1 / 0 / 1.
    ///   - outputPadding: extra size added to one side of each output dim (nil = 0); must be smaller than
    ///     the stride or the dilation of that dim.
    /// - Returns: `[N, Cout, *out]` with `out = (in - 1)*stride - 2*padding + dilation*(kernel-1) + outputPadding + 1`;
    ///   `self` is `[N, Cin, H, W]` or `[N, Cin, D, H, W]` and must be finite.
    public func convTranspose(_ weight: Tensor, bias: Tensor?, stride: [Int]? = nil, padding: [Int]? = nil,
                              outputPadding: [Int]? = nil, dilation: [Int]? = nil) -> Tensor {
        precondition(rank == 4 || rank == 5, "convTranspose: input must be [N, Cin, H, W] or [N, Cin, D, H, W], got \(shape)")
        precondition(weight.rank == rank,
                     "convTranspose: weight \(weight.shape) must be [Cin, Cout, *kernel] with rank \(rank) for input \(shape)")
        let r = rank - 2, batch = shape[0], cin = shape[1], cout = weight.shape[1]
        precondition(weight.shape[0] == cin,
                     "convTranspose: input \(shape) has \(cin) channels but weight \(weight.shape) expects \(weight.shape[0])")
        precondition(cout > 0, "convTranspose: weight \(weight.shape) has no output channels")
        if let bias { precondition(bias.shape == [cout], "convTranspose: bias \(bias.shape) must be [\(cout)] for weight \(weight.shape)") }
        precondition(Tensor.allFinite(storage.pointer, count), "convTranspose: input \(shape) contains NaN or Inf")
        let k = Array(weight.shape[2...])
        let s = spatialParam(stride, r, default: 1), p = spatialParam(padding, r, default: 0)
        let op = spatialParam(outputPadding, r, default: 0), dl = spatialParam(dilation, r, default: 1)
        precondition(s.count == r && p.count == r && op.count == r && dl.count == r,
                     "convTranspose: stride \(s), padding \(p), outputPadding \(op), dilation \(dl) must each have \(r) entries")
        precondition(s.allSatisfy { $0 > 0 } && dl.allSatisfy { $0 > 0 } && p.allSatisfy { $0 >= 0 } && op.allSatisfy { $0 >= 0 },
                     "convTranspose: strides/dilations must be positive and paddings non-negative (stride \(s), padding \(p), outputPadding \(op), dilation \(dl))")
        var outSpatial = [Int](repeating: 0, count: r)
        for d in 0..<r {
            precondition(op[d] < s[d] || op[d] < dl[d],
                         "convTranspose: outputPadding \(op) must be smaller than stride \(s) or dilation \(dl)")
            outSpatial[d] = (shape[2 + d] - 1) * s[d] - 2 * p[d] + dl[d] * (k[d] - 1) + op[d] + 1
            precondition(outSpatial[d] > 0, "convTranspose: output size \(outSpatial) is not positive for input \(shape), weight \(weight.shape)")
        }
        // Conv geometry whose input is this op's output and whose output is this op's input.
        let g = WindowGeometry(op: "convTranspose", inputSpatial: outSpatial, outputSpatial: Array(shape[2...]),
                               kernel: k, stride: s, padding: p, dilation: dl)
        let out = Tensor.empty([batch, cout] + outSpatial)
        ConvKernels.backwardData(gy: storage.pointer, w: weight.storage.pointer, dx: out.storage.pointer,
                                 batch: batch, cin: cout, cout: cin, g)
        if let bias {
            let po = out.storage.pointer, pb = bias.storage.pointer, vol = g.inputVolume
            for sc in 0..<(batch * cout) {
                let b = pb[sc % cout], row = po + sc * vol
                for j in 0..<vol { row[j] += b }
            }
        }
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        return Tensor.record("conv_transpose", out, inputs: inputs) { gy in
            var gx: Tensor?, gw: Tensor?, gb: Tensor?
            if self.requiresGrad {
                let t = Tensor.empty(self.shape)
                ConvKernels.forward(x: gy.storage.pointer, w: weight.storage.pointer, bias: nil, y: t.storage.pointer,
                                    batch: batch, cin: cout, cout: cin, g)
                gx = t
            }
            if weight.requiresGrad {
                let t = Tensor.empty(weight.shape)
                ConvKernels.backwardWeight(x: gy.storage.pointer, gy: self.storage.pointer, dw: t.storage.pointer,
                                           batch: batch, cin: cout, cout: cin, g)
                gw = t
            }
            if let bias, bias.requiresGrad {
                let t = Tensor.empty(bias.shape)
                ConvKernels.channelSums(gy.storage.pointer, batch: batch, channels: cout, positions: g.inputVolume, into: t.storage.pointer)
                gb = t
            }
            return bias == nil ? [gx, gw] : [gx, gw, gb]
        }
    }

    // MARK: - Input check

    /// Whether all `n` floats at `p` are finite: 16-lane `x * 0` sums (NaN for any NaN or Inf), split across the workers.
    static func allFinite(_ p: UnsafePointer<Float>, _ n: Int) -> Bool {
        let chunk = 1 << 16, chunks = (n + chunk - 1) / chunk
        var bad = [Bool](repeating: false, count: Swift.max(chunks, 1))
        bad.withUnsafeMutableBufferPointer { flags in
            guard let f = flags.baseAddress else { return }
            Parallel.forEachChunk(chunks, minPerChunk: 4) { range in
                for c in range {
                    let lo = c * chunk, hi = Swift.min(n, lo + chunk)
                    var v = SIMD16<Float>(repeating: 0), j = lo
                    while j + 16 <= hi { v.addProduct(UnsafeRawPointer(p + j).loadUnaligned(as: SIMD16<Float>.self), SIMD16(repeating: 0)); j += 16 }
                    var t = v.sum()
                    while j < hi { t += p[j] * 0; j += 1 }
                    f[c] = !t.isFinite
                }
            }
        }
        return !bad.contains(true)
    }
}
