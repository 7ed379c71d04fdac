/// Inference-only convolution with the following eval batch norm and ReLU folded into the kernel's store: one pass
/// over the output instead of three, no tape node, no saved tensors.

extension Tensor {
    /// `relu(((conv(self, weight) + bias) * scale[co]) + shift[co])` in one op, for inference (nothing records).
    ///
    /// Gives bit for bit the values of `conv` followed by `batchNorm(training: false, ...)` (whose per-channel
    /// `scale` / `shift` come from `Tensor.batchNormEvalAffine`) and `relu()`: the same kernels, with the two batch-norm
    /// roundings and the clamp applied to each output vector before it is stored; except that stride-1 3x3 (3x3x3)
    /// convolutions run as Winograd F(4x4, 3x3) under `ConvKernels.algorithm` `.automatic` (enough input channels) and
    /// `.winograd`, which agrees with the direct convolution to about 1e-4 of the output's magnitude, not bit for bit
    /// (`.direct` keeps the bit-identical direct kernels).
    ///
    /// - Parameters:
    ///   - weight: `[Cout, Cin, *kernel]`; `bias`: `[Cout]` or nil (as `conv`).
    ///   - scale, shift: `[Cout]` each, or both nil (no affine step).
    ///   - relu: clamp at 0 after the affine step.
    /// - Returns: `[N, Cout, *out]` for `self` `[N, Cin, *spatial]` (geometry as `conv`).
    /// - Precondition: no history is being recorded for a tensor that requires gradients (call under `withNoGrad`):
    ///   this op has no backward rule.
    public func convInference(_ weight: Tensor, bias: Tensor?, scale: [Float]?, shift: [Float]?, relu: Bool,
                              stride: [Int]? = nil, padding: [Int]? = nil, dilation: [Int]? = nil) -> Tensor {
        precondition(!GradMode.isEnabled || !(requiresGrad || weight.requiresGrad || bias?.requiresGrad == true),
                     "convInference: inference only (no backward rule); call it under withNoGrad, input \(shape)")
        let (batch, cin, cout, g) = convArguments("convInference", weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
        if let r = ConvKernels.spaceToBatchRate(input: shape, weight: weight.shape, stride: stride, padding: padding, dilation: dilation,
                                                minimumSide: ConvKernels.spaceToBatchInferenceMinimumSide) {
            // dilated 3x3 as an undilated one on polyphase sub-planes (ConvolutionSpaceToBatch.swift)
            return spaceToBatchNoGrad(r).convInference(weight, bias: bias, scale: scale, shift: shift, relu: relu, padding: [1, 1])
                .batchToSpaceNoGrad(r, batch: batch)
        }
        return convInferenceRun(second: nil, weight, bias: bias, scale: scale, shift: shift, relu: relu, batch: batch, cin: cin, cout: cout, g)
    }

    /// The kernels of `convInference` for checked arguments; with `second`, the input is `concat([self, second], axis: 1)`
    /// read in place (Winograd only: `convInference(concatenating:)` checks that it applies); with `upsampledDepth`, the
    /// input is the nearest upsampling of `self` (x2 in H and W, `upsampledDepth` in depth; `g` is the upsampled geometry;
    /// Winograd only: `convInference(upsampledNearest:)` checks that it applies).
    func convInferenceRun(second: Tensor?, upsampledDepth: Int? = nil, _ weight: Tensor, bias: Tensor?, scale: [Float]?, shift: [Float]?, relu: Bool,
                          batch: Int, cin: Int, cout: Int, _ g: WindowGeometry) -> Tensor {
        precondition((scale == nil) == (shift == nil), "convInference: scale and shift must be given together")
        precondition(scale.map { $0.count == cout } ?? true && shift.map { $0.count == cout } ?? true,
                     "convInference: scale and shift must have \(cout) entries for weight \(weight.shape)")
        let out = Tensor.empty([batch, cout] + g.outputSpatial)
        let flops = 2.0 * Double(batch * cout * g.outputVolume) * Double(cin * g.kernelVolume)
        // Winograd layers are marked in profiles: their GFLOP/s count the direct convolution's FLOPs (an effective rate).
        let key = Profiler.isEnabled
            ? ConvKernels.shapeKey(batch: batch, cin: cin, cout: cout, g) + (ConvKernels.useWinograd(cin: cin, cout: cout, g) ? " wino" : "")
                + (upsampledDepth != nil ? " up-in-place" : "") : ""
        let sc = scale ?? [], sh = shift ?? []
        sc.withUnsafeBufferPointer { ps in
            sh.withUnsafeBufferPointer { pt in
                let ep = ConvKernels.Epilogue(scale: scale == nil ? nil : ps.baseAddress, shift: shift == nil ? nil : pt.baseAddress, relu: relu)
                Profiler.measure("conv.forward", key: key, flops: flops) {
                    let epArg = scale == nil && !relu ? nil : ep, b = bias.map { UnsafePointer($0.storage.pointer) }
                    if let upsampledDepth {
                        ConvKernels.winogradConv(x: storage.pointer, w: weight.storage.pointer, bias: b, y: out.storage.pointer, batch: batch,
                                                 cin: cin, cout: cout, epilogue: epArg, g, cacheFilter: true, upsampledDepth: upsampledDepth)
                    } else if let second {
                        ConvKernels.winogradConv(x: storage.pointer, w: weight.storage.pointer, bias: b, y: out.storage.pointer, batch: batch,
                                                 cin: cin, cout: cout, epilogue: epArg, g, cacheFilter: true, x2: second.storage.pointer,
                                                 split: shape[1])
                    } else {
                        ConvKernels.forward(x: storage.pointer, w: weight.storage.pointer, bias: b, y: out.storage.pointer, batch: batch,
                                            cin: cin, cout: cout, g, epilogue: epArg, winograd: true, cacheFilter: true)
                    }
                }
            }
        }
        if Profiler.isEnabled && !Profiler.inBackward { Profiler.lap("conv") }
        return out
    }
}
