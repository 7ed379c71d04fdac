import Engine

// MARK: - Conv

/// N-dimensional convolution (2D or 3D from the kernel rank), like `nn.Conv2d`/`nn.Conv3d`.
///
/// Input `[N, Cin, *spatial]`, output `[N, Cout, *spatial']`. Parameters: `weight` `[Cout, Cin, *kernel]`,
/// optional `bias` `[Cout]`. Initialised like PyTorch (Kaiming-uniform, fan-in = Cin·prod(kernel)).
public final class Conv: Module {
    /// Weights `[Cout, Cin, *kernel]`.
    public let weight: Tensor
    /// Bias `[Cout]`, or nil.
    public let bias: Tensor?
    /// Per-dimension stride, padding and dilation.
    public let stride: [Int], padding: [Int], dilation: [Int]

    /// Creates a convolution; `kernel.count` (2 or 3) fixes the spatial rank.
    public init(_ inChannels: Int, _ outChannels: Int, kernel: [Int], stride: [Int]? = nil, padding: [Int]? = nil,
                dilation: [Int]? = nil, bias: Bool = true, rng: inout RNG) {
        let d = kernel.count
        self.stride = stride ?? [Int](repeating: 1, count: d)
        self.padding = padding ?? [Int](repeating: 0, count: d)
        self.dilation = dilation ?? [Int](repeating: 1, count: d)
        let fanIn = inChannels * kernel.reduce(1, *)
        weight = Initializers.kaimingUniform([outChannels, inChannels] + kernel, fanIn: fanIn, rng: &rng)
        self.bias = bias ? Initializers.kaimingUniform([outChannels], fanIn: fanIn, rng: &rng) : nil
        super.init()
        registerParameter("weight", weight)
        if let b = self.bias { registerParameter("bias", b) }
    }

    /// Cubic kernel convenience: `Conv(8, 16, kernel: 3, dims: 3, padding: 1, rng: &rng)`.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernel: Int, dims: Int, stride: Int = 1, padding: Int = 0,
                            bias: Bool = true, rng: inout RNG) {
        self.init(inChannels, outChannels, kernel: [Int](repeating: kernel, count: dims), stride: [Int](repeating: stride, count: dims),
                  padding: [Int](repeating: padding, count: dims), bias: bias, rng: &rng)
    }

    /// Convolves `x` `[N, Cin, *spatial]`. In eval mode with nothing recorded (inference) this is
    /// `Tensor.convInference`, which may run as Winograd F(4x4, 3x3) (within 1e-4 of the output's magnitude, not bit for
    /// bit); in training mode, or while recording, it is `Tensor.conv`.
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        if !training && !GradMode.isEnabled {
            return x.convInference(weight, bias: bias, scale: nil, shift: nil, relu: false, stride: stride, padding: padding, dilation: dilation)
        }
        return x.conv(weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
    }

    /// Inference pass of this convolution followed by `norm` (an eval-mode batch norm, or nil) and, with `relu`, a
    /// ReLU, as one fused op (`Tensor.convInference`): the values of `relu(norm(self(x)))` without the intermediate
    /// tensors (up to Winograd's rounding where `convInference` uses it). Returns nil when the fused op does not apply:
    /// history is being recorded (`GradMode.isEnabled`), or this convolution or `norm` is in training mode; the caller
    /// then runs the layers one by one.
    public func fusedInference(_ x: Tensor, norm: BatchNorm?, relu: Bool) -> Tensor? {
        guard !GradMode.isEnabled, !training, norm?.training != true else { return nil }
        let affine = norm.map { Tensor.batchNormEvalAffine(weight: $0.weight, bias: $0.bias, runningMean: $0.runningMean,
                                                           runningVar: $0.runningVar, eps: $0.eps) }
        return x.convInference(weight, bias: bias, scale: affine?.scale, shift: affine?.shift, relu: relu,
                               stride: stride, padding: padding, dilation: dilation)
    }

    /// `fusedInference` of the channel concatenation of `parts` (`Tensor.convInference(concatenating:)`: read in place
    /// where the convolution runs as Winograd). Nil when the fused op does not apply (as `fusedInference`).
    public func fusedInference(concatenating parts: [Tensor], norm: BatchNorm?, relu: Bool) -> Tensor? {
        guard !GradMode.isEnabled, !training, norm?.training != true else { return nil }
        let affine = norm.map { Tensor.batchNormEvalAffine(weight: $0.weight, bias: $0.bias, runningMean: $0.runningMean,
                                                           runningVar: $0.runningVar, eps: $0.eps) }
        return Tensor.convInference(concatenating: parts, weight, bias: bias, scale: affine?.scale, shift: affine?.shift, relu: relu,
                                    stride: stride, padding: padding, dilation: dilation)
    }

    /// `fusedInference` of the nearest upsampling of `x` by `scale` (`Tensor.convInference(upsampledNearest:)`: read in
    /// place where the convolution runs as Winograd; the values of `self(x.upsample(scale:mode: .nearest))`). Nil when the
    /// fused op does not apply (as `fusedInference`).
    public func fusedInference(upsampling x: Tensor, scale: [Int], norm: BatchNorm? = nil, relu: Bool = false) -> Tensor? {
        guard !GradMode.isEnabled, !training, norm?.training != true else { return nil }
        let affine = norm.map { Tensor.batchNormEvalAffine(weight: $0.weight, bias: $0.bias, runningMean: $0.runningMean,
                                                           runningVar: $0.runningVar, eps: $0.eps) }
        return x.convInference(upsampledNearest: scale, weight, bias: bias, scale: affine?.scale, shift: affine?.shift, relu: relu,
                               stride: stride, padding: padding, dilation: dilation)
    }
}

// MARK: - ConvTranspose

/// N-dimensional transposed convolution, like `nn.ConvTranspose2d`/`3d`.
///
/// Input `[N, Cin, *spatial]`. Parameters: `weight` `[Cin, Cout, *kernel]` (PyTorch layout), optional `bias`
/// `[Cout]`. Initialised like PyTorch (fan-in computed from dimension 1: Cout·prod(kernel)).
public final class ConvTranspose: Module {
    /// Weights `[Cin, Cout, *kernel]`.
    public let weight: Tensor
    /// Bias `[Cout]`, or nil.
    public let bias: Tensor?
    /// Per-dimension stride, padding, output padding and dilation.
    public let stride: [Int], padding: [Int], outputPadding: [Int], dilation: [Int]

    /// Creates a transposed convolution; `kernel.count` fixes the spatial rank.
    public init(_ inChannels: Int, _ outChannels: Int, kernel: [Int], stride: [Int]? = nil, padding: [Int]? = nil,
                outputPadding: [Int]? = nil, dilation: [Int]? = nil, bias: Bool = true, rng: inout RNG) {
        let d = kernel.count
        self.stride = stride ?? [Int](repeating: 1, count: d)
        self.padding = padding ?? [Int](repeating: 0, count: d)
        self.outputPadding = outputPadding ?? [Int](repeating: 0, count: d)
        self.dilation = dilation ?? [Int](repeating: 1, count: d)
        let fanIn = outChannels * kernel.reduce(1, *)
        weight = Initializers.kaimingUniform([inChannels, outChannels] + kernel, fanIn: fanIn, rng: &rng)
        self.bias = bias ? Initializers.kaimingUniform([outChannels], fanIn: fanIn, rng: &rng) : nil
        super.init()
        registerParameter("weight", weight)
        if let b = self.bias { registerParameter("bias", b) }
    }

    /// Applies the transposed convolution to `x` `[N, Cin, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        x.convTranspose(weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding, dilation: dilation)
    }
}
