import Engine

/// Hyper-parameters of `DilatedFCN`, 2D or 3D.
public struct DilatedFCNConfig: Sendable, Codable, Equatable {
    /// Spatial rank: 2 (`[N, C, H, W]`) or 3 (`[N, C, D, H, W]`).
    public var dims: Int
    /// Input channels.
    public var inChannels: Int
    /// Output classes (channels of the logits).
    public var classes: Int
    /// Channels of every dilated layer (32 in the paper); the hidden 1x1 layer has 4x.
    public var baseChannels: Int
    /// Dilation rate of each 3x3 (3x3x3) layer, growing then shrinking.
    public var dilations: [Int]
    /// Dropout sites: after each dilated layer (encoder, depth fraction i / (layers - 1)) and before each of the two 1x1
    /// layers (decoder, 0). `.none` placement keeps the paper's dropout: 0.5 before each 1x1 layer only.
    public var dropout: DropoutPlan
    /// Negative slope of the leaky ReLUs (0.3).
    public var slope: Float

    /// Creates a configuration with the paper's layout by default.
    public init(dims: Int, inChannels: Int = 1, classes: Int = 2, baseChannels: Int = 32,
                dilations: [Int] = [1, 2, 3, 4, 5, 6, 4, 3, 2, 1], dropout: DropoutPlan = .none, slope: Float = 0.3) {
        self.dims = dims
        self.inChannels = inChannels
        self.classes = classes
        self.baseChannels = baseChannels
        self.dilations = dilations
        self.dropout = dropout
        self.slope = slope
    }

    /// Why this configuration cannot build a network (empty when valid).
    public var problems: [String] {
        var out = commonNetworkProblems(dims: dims, inChannels: inChannels, classes: classes, baseChannels: baseChannels)
        if dilations.isEmpty || dilations.contains(where: { $0 < 1 }) { out.append("dilations needs positive rates, got \(dilations)") }
        out += dropout.problems
        if !(slope >= 0 && slope < 1) { out.append("slope must be in [0, 1), got \(slope)") }
        return out
    }
}

/// The dilated fully convolutional network for lung-tissue segmentation of Anthimopoulos et al. 2018 (IEEE JBHI
/// 23(2)), 2D or 3D: 13 layers = 10 convolutions 3x3 (3x3x3) of `base` channels with batch norm, leaky ReLU and
/// dilation rates growing then shrinking (padding = rate, so no down-sampling and no transposed convolutions), the
/// concatenation of all 10 feature maps, and two 1x1 layers (dropout, 1x1 to 4·base + leaky ReLU, dropout, 1x1 to the
/// classes). Layers 2..10 add their input to their output (residual additions). Maps `[N, Cin, *spatial]` to logits
/// `[N, classes, *spatial]` for any spatial size.
///
/// State names: `layers.i.{0,1}` (conv, BN), `head.1`, `head.4` (the 1x1 convolutions), as the PyTorch reference
/// `scripts/reference/zoo_dilated_fcn.py`.
public final class DilatedFCN: Module {
    /// The configuration it was built from.
    public let config: DilatedFCNConfig
    let layers: [Sequential], drops: [Dropout?], head: Sequential

    /// Builds the network with weights drawn from `RNG(seed: seed)`; traps on an invalid configuration (check
    /// `config.problems` first for user input).
    public init(_ config: DilatedFCNConfig, seed: UInt64 = 0) {
        precondition(config.problems.isEmpty, "DilatedFCN: invalid configuration: \(config.problems.joined(separator: "; "))")
        self.config = config
        var rng = RNG(seed: seed)
        let d = config.dims, b = config.baseChannels, rep = { (v: Int) in [Int](repeating: v, count: d) }
        layers = config.dilations.enumerated().map { i, r in
            Sequential([Conv(i == 0 ? config.inChannels : b, b, kernel: rep(3), padding: rep(r), dilation: rep(r), bias: false, rng: &rng),
                        BatchNorm(b), LeakyReLU(slope: config.slope)])
        }
        let dropSeed = seed &* 0x9E37_79B9 &+ 1, n = config.dilations.count
        let plan = config.dropout
        drops = (0..<n).map { i in
            let p = plan.placement == .none ? 0 : plan.probability(at: DropoutSite(.encoder, depthFraction: Double(i) / Double(Swift.max(n - 1, 1))))
            return p > 0 ? Dropout(p: p, seed: dropSeed &+ 10 &+ UInt64(i)) : nil
        }
        let headP = plan.placement == .none ? 0.5 : plan.probability(at: DropoutSite(.decoder, depthFraction: 0))
        head = Sequential([dropoutOrIdentity(headP, seed: dropSeed), Conv(n * b, 4 * b, kernel: rep(1), rng: &rng),
                           LeakyReLU(slope: config.slope), dropoutOrIdentity(headP, seed: dropSeed &+ 1),
                           Conv(4 * b, config.classes, kernel: rep(1), rng: &rng)])
        super.init()
        registerModule("layers", ModuleList(layers))
        registerModule("head", head)
        for (i, d) in drops.enumerated() { if let d { registerModule("drop\(i)", d) } }
    }

    /// Logits `[N, classes, *spatial]` for `x` `[N, Cin, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == config.dims + 2 && x.shape[1] == config.inChannels,
                     "DilatedFCN: input shape \(x.shape) is not [N, \(config.inChannels), \(config.dims) spatial dims]")
        if let y = inference(x) { return y }
        var h = x, features: [Tensor] = []
        for (i, layer) in layers.enumerated() {
            h = i == 0 ? layer(h) : h + layer(h)
            if let drop = drops[i] { h = drop(h) }
            features.append(h)
        }
        return head(Tensor.concat(features, axis: 1))
    }

    /// The forward pass without recording, when every convolution and batch norm is in eval mode (nil otherwise), the
    /// same values as `callAsFunction` up to the 1x1 convolution's summation order: each layer's convolution runs with its
    /// batch norm folded in (`Conv.fusedInference`), leaky ReLU and the residual addition are one pass
    /// (`leakyReluInference(_:adding:)`), and the first 1x1 layer reads the ten feature maps in place
    /// (`Conv.fusedInference(concatenating:)`) instead of a 10·base-channel concatenation. An active dropout before the
    /// head (MC dropout) takes the concatenation as in training.
    func inference(_ x: Tensor) -> Tensor? {
        guard !GradMode.isEnabled, head.layers.count == 5, let conv1 = head.layers[1] as? Conv, !conv1.training,
              !((head.layers[0] as? Dropout).map({ $0.training || $0.alwaysActive }) ?? false)
        else { return nil }
        let blocks = layers.map { ($0.layers[0] as? Conv, $0.layers[1] as? BatchNorm) }
        guard blocks.allSatisfy({ conv, bn in conv.map { !$0.training } == true && bn.map { !$0.training } == true }) else { return nil }
        var h = x, features: [Tensor] = []
        for (i, (conv, bn)) in blocks.enumerated() {
            guard let conv, let y = conv.fusedInference(h, norm: bn, relu: false) else { return nil }
            h = i == 0 ? y.leakyRelu(config.slope) : y.leakyReluInference(config.slope, adding: h)
            if let drop = drops[i] { h = drop(h) }
            features.append(h)
        }
        guard let z = conv1.fusedInference(concatenating: features, norm: nil, relu: false) else { return nil }
        return head.layers[4](head.layers[3](head.layers[2](z)))
    }
}

extension DilatedFCN: SegmentationNetwork {
    public var spatialDims: Int { config.dims }
    public var inputChannels: Int { config.inChannels }
    public var classes: Int { config.classes }
    /// 1: no down-sampling, any size works.
    public var inputDivisor: [Int] { [Int](repeating: 1, count: config.dims) }

    /// The configuration for a registry spec (`base`, `dims`, channels, classes, dropout plan; `depth`, `norm`,
    /// `upsampling` do not apply).
    static func config(for spec: NetworkSpec) -> DilatedFCNConfig {
        DilatedFCNConfig(dims: spec.dims, inChannels: spec.inChannels, classes: spec.classes, baseChannels: spec.base, dropout: spec.dropout)
    }

    /// `dilated-fcn`: Anthimopoulos et al. 2018.
    public static let registryEntry = NetworkEntry(
        name: "dilated-fcn", summary: "Dilated FCN (Anthimopoulos 2018): 10 dilated 3x3 layers (rates 1..6..1, residual), all features concatenated, 1x1 head",
        paperBase: 32,
        problems: { DilatedFCN.config(for: $0).problems },
        divisor: { _ in 1 },
        build: { spec, seed in DilatedFCN(DilatedFCN.config(for: spec), seed: seed) })
}
