import Engine

// MARK: - Activations

/// max(x, 0) elementwise.
public final class ReLU: Module {
    /// Creates the activation (no parameters).
    public override init() { super.init() }
    /// Applies ReLU to any tensor.
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}

/// x for x > 0, `slope`·x otherwise.
public final class LeakyReLU: Module {
    /// Negative slope (PyTorch default 0.01).
    public let slope: Float
    /// Creates the activation.
    public init(slope: Float = 0.01) { self.slope = slope; super.init() }
    /// Applies leaky ReLU to any tensor.
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.leakyRelu(slope) }
}

/// Passes its input through unchanged.
public final class Identity: Module {
    /// Creates the identity.
    public override init() { super.init() }
    /// Returns `x`.
    public override func callAsFunction(_ x: Tensor) -> Tensor { x }
}

// MARK: - Dropout

/// Dropout: in training mode zeroes elements (or whole channels of `[N, C, *spatial]` when `channelwise`,
/// like `nn.Dropout3d`) with probability `p` and scales the rest by 1/(1-p); identity in eval mode
/// unless `alwaysActive` (Monte-Carlo dropout at inference).
public final class Dropout: Module {
    /// Drop probability in [0, 1).
    public let p: Float
    /// Whether whole channels are dropped.
    public let channelwise: Bool
    /// Keeps dropout active in eval mode (MC dropout).
    public var alwaysActive = false
    /// The generator for the masks; save `rng.stateWords` to resume exactly.
    public var rng: RNG

    /// Creates a dropout layer drawing masks from `RNG(seed: seed)`.
    public init(p: Float, channelwise: Bool = false, seed: UInt64 = 0) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), got \(p)")
        self.p = p
        self.channelwise = channelwise
        rng = RNG(seed: seed)
        super.init()
    }

    /// Applies dropout to `x`.
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        x.dropout(p: p, channelwise: channelwise, training: training || alwaysActive, rng: &rng)
    }
}

// MARK: - Pooling and resampling

/// Max pooling over the spatial axes of `[N, C, *spatial]`.
public final class MaxPool: Module {
    /// Window, stride and padding per spatial dimension.
    public let kernel: [Int], stride: [Int], padding: [Int]
    /// Creates a max pool; `stride` defaults to `kernel`.
    public init(kernel: [Int], stride: [Int]? = nil, padding: [Int]? = nil) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding ?? [Int](repeating: 0, count: kernel.count)
        super.init()
    }
    /// Pools `x` `[N, C, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.maxPool(kernel: kernel, stride: stride, padding: padding) }
}

/// Upsampling of `[N, C, *spatial]` by integer factors (nearest or (bi/tri)linear).
public final class Upsample: Module {
    /// Factor per spatial dimension.
    public let scale: [Int]
    /// Interpolation mode.
    public let mode: UpsampleMode
    /// Creates an upsampling layer.
    public init(scale: [Int], mode: UpsampleMode = .nearest) {
        self.scale = scale
        self.mode = mode
        super.init()
    }
    /// Upsamples `x`.
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.upsample(scale: scale, mode: mode) }
}

// MARK: - Sequential

/// Applies child modules in order; children are named "0", "1", ... like `nn.Sequential`.
public final class Sequential: Module {
    /// The layers in order.
    public private(set) var layers: [Module] = []

    /// Creates a sequence of `layers`.
    public init(_ layers: [Module]) {
        super.init()
        for l in layers { append(l) }
    }

    /// Appends a layer (named by its index).
    public func append(_ layer: Module) {
        registerModule(String(layers.count), layer)
        layers.append(layer)
    }

    /// Feeds `x` through every layer.
    public override func callAsFunction(_ x: Tensor) -> Tensor { layers.reduce(x) { $1($0) } }
}

// MARK: - PReLU

/// Parametric ReLU with one learnable slope per channel (`nn.PReLU(num_parameters: C)`), or one shared slope
/// (`channels` 1); parameter `weight` `[C]`, initialised to `initialSlope` (PyTorch: 0.25).
public final class PReLU: Module {
    /// Slopes `[C]` (or `[1]`).
    public let weight: Tensor
    /// Creates the activation for inputs `[N, channels, *spatial]`.
    public init(_ channels: Int = 1, initialSlope: Float = 0.25) {
        weight = Tensor([Float](repeating: initialSlope, count: channels), shape: [channels])
        super.init()
        registerParameter("weight", weight)
    }
    /// Applies PReLU to `x` `[N, C, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.prelu(weight) }
}
