/// Inference convolution of a nearest x2 upsampling (a decoder's "upsample, then 3x3 conv" step) without making the
/// upsampled tensor: the Winograd input transform reads each source row twice and each source value twice
/// (`ssk_wino_rows_up`; docs/ARCHITECTURE.md, Engine).

extension Tensor {
    /// `self.upsample(scale: scale, mode: .nearest).convInference(weight, ...)`, the same values bit for bit, for
    /// inference (nothing records).
    ///
    /// Where the convolution of the upsampled tensor runs as Winograd F(4x4, 3x3) (`ConvKernels.useWinograd`) and `scale`
    /// is 2 in H and W (and 1 or 2 in depth), the kernel reads `self` in place: the upsampled tensor (4x or 8x `self`) is
    /// never written or read back. Otherwise it upsamples first.
    ///
    /// - Parameters:
    ///   - scale: one integer factor per spatial dim, as `upsample(scale:mode:)`.
    ///   - weight: `[Cout, Cin, *kernel]`; the other arguments as `convInference`.
    /// - Returns: `[N, Cout, *out]` for the upsampled `[N, Cin, *spatial * scale]`.
    public func convInference(upsampledNearest scale: [Int], _ weight: Tensor, bias: Tensor?, scale affineScale: [Float]?,
                              shift: [Float]?, relu: Bool, stride: [Int]? = nil, padding: [Int]? = nil, dilation: [Int]? = nil) -> Tensor {
        let sc = [Int](repeating: 1, count: Swift.max(0, 3 - scale.count)) + scale
        if rank == 4 || rank == 5, scale.count == rank - 2, sc[1] == 2, sc[2] == 2, sc[0] == 1 || sc[0] == 2, weight.rank == rank,
           weight.shape[1] == shape[1] {
            let upShape = Array(shape[2...]).enumerated().map { $0.element * scale[$0.offset] }
            let cin = shape[1], cout = weight.shape[0]
            let g = WindowGeometry(op: "convInference", inputSpatial: upShape, kernel: Array(weight.shape[2...]),
                                   stride: stride, padding: padding, dilation: dilation)
            if ConvKernels.useWinograd(cin: cin, cout: cout, g) {
                Tensor.checkInPlaceInference([self], weight, bias: bias, cout: cout)
                return convInferenceRun(second: nil, upsampledDepth: sc[0], weight, bias: bias, scale: affineScale, shift: shift,
                                        relu: relu, batch: shape[0], cin: cin, cout: cout, g)
            }
        }
        return upsample(scale: scale, mode: .nearest).convInference(weight, bias: bias, scale: affineScale, shift: shift, relu: relu,
                                                                   stride: stride, padding: padding, dilation: dilation)
    }
}
