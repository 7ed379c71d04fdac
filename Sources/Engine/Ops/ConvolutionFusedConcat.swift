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
}
