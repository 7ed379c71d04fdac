import Engine

// Layers shared by the zoo networks (DeepLab v3 / v3+, dilated FCN, SegNet; docs/ARCHITECTURE.md §5).

/// Global average pooling of `[N, C, *spatial]` to `[N, C, 1, ...]`, like `nn.AdaptiveAvgPool2d(1)` / `3d(1)`.
public final class GlobalAvgPool: Module {
    /// Creates the layer (no parameters).
    public override init() { super.init() }
    /// Pools `x` `[N, C, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.globalAvgPool() }
}

extension Sequential {
    /// Applies the layers like `callAsFunction`, fusing where it gives the same values: a `BatchNorm` followed by `ReLU`
    /// runs as one op, and without recording with the batch norm in eval mode, conv -> batch norm -> ReLU runs as one
    /// inference op (`Conv.fusedInference`).
    public func callFused(_ x: Tensor) -> Tensor { callFused(x, from: 0) }

    /// `callFused(Tensor.concat(parts, axis: 1))`, the same values; when the first layer is a convolution that runs as
    /// a fused inference op (with the batch norm and ReLU after it), it reads the parts in place
    /// (`Conv.fusedInference(concatenating:)`) instead of a concatenated copy.
    public func callFused(concatenating parts: [Tensor]) -> Tensor {
        if let conv = layers.first as? Conv, !GradMode.isEnabled {
            let bn = layers.count > 1 ? layers[1] as? BatchNorm : nil
            let j = 1 + (bn == nil ? 0 : 1), relu = j < layers.count && layers[j] is ReLU
            if let fused = conv.fusedInference(concatenating: parts, norm: bn, relu: relu) { return callFused(fused, from: j + (relu ? 1 : 0)) }
        }
        return callFused(Tensor.concat(parts, axis: 1))
    }

    /// `callFused` from layer `start` on.
    private func callFused(_ x: Tensor, from start: Int) -> Tensor {
        var y = x, i = start
        while i < layers.count {
            if let conv = layers[i] as? Conv, !GradMode.isEnabled {
                let bn = i + 1 < layers.count ? layers[i + 1] as? BatchNorm : nil
                let j = i + 1 + (bn == nil ? 0 : 1), relu = j < layers.count && layers[j] is ReLU
                if let fused = conv.fusedInference(y, norm: bn, relu: relu) {
                    y = fused; i = j + (relu ? 1 : 0)
                    continue
                }
            }
            if let bn = layers[i] as? BatchNorm, i + 1 < layers.count, layers[i + 1] is ReLU {
                y = bn(y, fusedReLU: true); i += 2
            } else {
                y = layers[i](y); i += 1
            }
        }
        return y
    }

    /// `[Conv(cin, cout, k, stride, padding = dilation·(k-1)/2, dilation, bias), BatchNorm(cout), ReLU]` as a sequence
    /// named `0`, `1`, `2` (torchvision's conv-BN-ReLU blocks); `kernel` is cubic over `dims` spatial dims.
    public static func convBNReLU(_ cin: Int, _ cout: Int, kernel: Int, dims: Int, stride: Int = 1, dilation: Int = 1,
                                  bias: Bool = false, rng: inout RNG) -> [Module] {
        let rep = { (v: Int) in [Int](repeating: v, count: dims) }
        return [Conv(cin, cout, kernel: rep(kernel), stride: rep(stride), padding: rep(dilation * (kernel - 1) / 2),
                     dilation: rep(dilation), bias: bias, rng: &rng),
                BatchNorm(cout), ReLU()]
    }
}

/// Problems with the fields every zoo network configuration has (spatial rank, channels, classes, width), worded like
/// `UNetConfig.problems`.
func commonNetworkProblems(dims: Int, inChannels: Int, classes: Int, baseChannels: Int) -> [String] {
    var out: [String] = []
    if dims != 2 && dims != 3 { out.append("dims must be 2 or 3, got \(dims)") }
    if inChannels < 1 { out.append("inChannels must be positive, got \(inChannels)") }
    if classes < 2 { out.append("classes must be at least 2, got \(classes)") }
    if baseChannels < 1 { out.append("baseChannels must be positive, got \(baseChannels)") }
    return out
}
