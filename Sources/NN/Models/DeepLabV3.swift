import Engine

/// Output stride of a DeepLab encoder (input size / feature size): 16 dilates the last residual stage, 8 the last two.
public enum DeepLabOutputStride: String, Sendable, Codable, CaseIterable {
    /// Output stride 8: layer3 and layer4 dilated (rates 2, 4); ASPP rates doubled (12, 24, 36).
    case eight = "8"
    /// Output stride 16 (the paper's training setting): layer4 dilated (rate 2); ASPP rates 6, 12, 18.
    case sixteen = "16"

    /// The stride as a number.
    public var value: Int { self == .eight ? 8 : 16 }
}

/// Hyper-parameters of `DeepLabV3` and `DeepLabV3Plus` (Chen et al. 2017, 2018), 2D or 3D.
public struct DeepLabConfig: Sendable, Codable, Equatable {
    /// Spatial rank: 2 (`[N, C, H, W]`) or 3 (`[N, C, D, H, W]`).
    public var dims: Int
    /// Input channels.
    public var inChannels: Int
    /// Output classes (channels of the logits).
    public var classes: Int
    /// Width of the stem and of layer1; layer2..4 have 2x, 4x, 8x; ASPP and the head have 4x (256 at the ResNet width 64).
    public var baseChannels: Int
    /// Residual basic blocks in layer1..layer4 (ResNet-18: 2, 2, 2, 2; ResNet-34: 3, 4, 6, 3).
    public var blocks: [Int]
    /// Encoder output stride.
    public var outputStride: DeepLabOutputStride
    /// Dropout sites: after each residual layer (encoder, depth fractions 0, ⅓, ⅔, 1), after the ASPP projection
    /// (decoder, 1) and, in DeepLabv3+, the two decoder dropouts (decoder, 0). `.none` placement keeps the reference
    /// implementations' own dropout: 0.5 after the ASPP projection (torchvision), 0.5 and 0.1 in the v3+ decoder.
    public var dropout: DropoutPlan

    /// Creates a configuration (defaults: ResNet-18 layout, output stride 16, the reference dropout).
    public init(dims: Int, inChannels: Int = 1, classes: Int = 2, baseChannels: Int = 16, blocks: [Int] = [2, 2, 2, 2],
                outputStride: DeepLabOutputStride = .sixteen, dropout: DropoutPlan = .none) {
        self.dims = dims
        self.inChannels = inChannels
        self.classes = classes
        self.baseChannels = baseChannels
        self.blocks = blocks
        self.outputStride = outputStride
        self.dropout = dropout
    }

    /// ASPP atrous rates: 6, 12, 18 at output stride 16, doubled at 8 (DeepLabv3 §4.1).
    public var asppRates: [Int] { [6, 12, 18].map { $0 * 16 / outputStride.value } }

    /// Why this configuration cannot build a network (empty when valid).
    public var problems: [String] {
        var out = commonNetworkProblems(dims: dims, inChannels: inChannels, classes: classes, baseChannels: baseChannels)
        if blocks.count != 4 || blocks.contains(where: { $0 < 1 }) { out.append("blocks needs 4 positive counts (layer1..4), got \(blocks)") }
        out += dropout.problems
        return out
    }

    /// The dropout probability at `site`: the plan's, or `reference` (the reference implementation's) when the plan's
    /// placement is `.none`.
    func dropoutProbability(at site: DropoutSite, reference: Float) -> Float {
        dropout.placement == .none ? reference : dropout.probability(at: site)
    }
}

/// A `Dropout` layer with probability `p`, or `Identity` when `p` is 0 (keeps `Sequential` indices of the references).
func dropoutOrIdentity(_ p: Float, seed: UInt64) -> Module { p > 0 ? Dropout(p: p, seed: seed) : Identity() }

// MARK: - Residual encoder

/// A ResNet basic block (two 3x3 convolutions + BN, ReLU, identity or 1x1-conv shortcut), torchvision names `conv1`,
/// `bn1`, `conv2`, `bn2`, `downsample.{0,1}`; `dilation1` / `dilation2` are the rates of the two convolutions.
final class ResNetBasicBlock: Module {
    let conv1: Conv, bn1: BatchNorm, conv2: Conv, bn2: BatchNorm, downsample: Sequential?

    init(_ cin: Int, _ cout: Int, dims: Int, stride: Int, dilation1: Int, dilation2: Int, rng: inout RNG) {
        let rep = { (v: Int) in [Int](repeating: v, count: dims) }
        conv1 = Conv(cin, cout, kernel: rep(3), stride: rep(stride), padding: rep(dilation1), dilation: rep(dilation1), bias: false, rng: &rng)
        bn1 = BatchNorm(cout)
        conv2 = Conv(cout, cout, kernel: rep(3), padding: rep(dilation2), dilation: rep(dilation2), bias: false, rng: &rng)
        bn2 = BatchNorm(cout)
        downsample = stride != 1 || cin != cout
            ? Sequential([Conv(cin, cout, kernel: rep(1), stride: rep(stride), bias: false, rng: &rng), BatchNorm(cout)]) : nil
        super.init()
        registerModule("conv1", conv1); registerModule("bn1", bn1)
        registerModule("conv2", conv2); registerModule("bn2", bn2)
        if let downsample { registerModule("downsample", downsample) }
    }

    override func callAsFunction(_ x: Tensor) -> Tensor {
        let identity = downsample?.callFused(x) ?? x
        let y = conv1.fusedInference(x, norm: bn1, relu: true) ?? bn1(conv1(x), fusedReLU: true)
        let z = conv2.fusedInference(y, norm: bn2, relu: false) ?? bn2(conv2(y))
        return z.addingRelu(identity)  // relu(z + identity) in one pass, bit for bit
    }
}

/// The residual encoder of DeepLab: stem (7-wide conv stride 2 + BN + ReLU, 3-wide max-pool stride 2) and layer1..4
/// of basic blocks with widths base·(1, 2, 4, 8); instead of striding, the dilated layers keep the resolution (the
/// first block of a dilated layer keeps the previous rate in its first convolution, as torchvision). Optional dropout
/// `drop1..4` after each layer (no state).
final class ResNetEncoder: Module {
    let conv1: Conv, bn1: BatchNorm, layers: [Sequential], drops: [Dropout?], dims: Int

    init(_ config: DeepLabConfig, dropoutSeed: UInt64, rng: inout RNG) {
        let d = config.dims, base = config.baseChannels
        dims = d
        conv1 = Conv(config.inChannels, base, kernel: [Int](repeating: 7, count: d), stride: [Int](repeating: 2, count: d),
                     padding: [Int](repeating: 3, count: d), bias: false, rng: &rng)
        bn1 = BatchNorm(base)
        let plan: [(stride: Int, dilation: Int)] = config.outputStride == .sixteen
            ? [(1, 1), (2, 1), (2, 1), (1, 2)] : [(1, 1), (2, 1), (1, 2), (1, 4)]
        var c = base, previous = 1, built: [Sequential] = []
        for (i, (step, n)) in zip(plan, config.blocks).enumerated() {
            let width = base << i
            var blocks: [Module] = []
            for j in 0..<n {
                blocks.append(ResNetBasicBlock(c, width, dims: d, stride: j == 0 ? step.stride : 1,
                                         dilation1: j == 0 ? previous : step.dilation, dilation2: step.dilation, rng: &rng))
                c = width
            }
            previous = step.dilation
            built.append(Sequential(blocks))
        }
        layers = built
        drops = (0..<4).map { i in
            let p = config.dropoutProbability(at: DropoutSite(.encoder, depthFraction: Double(i) / 3), reference: 0)
            return p > 0 ? Dropout(p: p, seed: dropoutSeed &+ UInt64(i)) : nil
        }
        super.init()
        registerModule("conv1", conv1); registerModule("bn1", bn1)
        for (i, l) in layers.enumerated() { registerModule("layer\(i + 1)", l) }
        for (i, d) in drops.enumerated() { if let d { registerModule("drop\(i + 1)", d) } }
    }

    /// (layer1 output at stride 4, layer4 output at the output stride) for `x` `[N, Cin, *spatial]`.
    func features(_ x: Tensor) -> (low: Tensor, high: Tensor) {
        let rep = { (v: Int) in [Int](repeating: v, count: self.dims) }
        let stem = conv1.fusedInference(x, norm: bn1, relu: true) ?? bn1(conv1(x), fusedReLU: true)
        var h = stem.maxPool(kernel: rep(3), stride: rep(2), padding: rep(1)), low = h
        for (i, (layer, drop)) in zip(layers, drops).enumerated() {
            h = layer(h)
            if let drop { h = drop(h) }
            if i == 0 { low = h }
        }
        return (low, h)
    }
}

// MARK: - ASPP

/// ASPP's image-pooling branch (torchvision `ASPPPooling`, children `0` pool, `1` conv, `2` BN, `3` ReLU): global
/// average, 1x1 conv + BN + ReLU, resized back (bilinear / trilinear) to the input's spatial size.
///
/// With one sample in training mode the batch norm of a 1x1 map has a single value per channel (PyTorch raises); this
/// branch then normalises with its running statistics instead of failing.
final class ASPPPooling: Module {
    let conv: Conv, bn: BatchNorm

    init(_ cin: Int, _ cout: Int, dims: Int, rng: inout RNG) {
        conv = Conv(cin, cout, kernel: [Int](repeating: 1, count: dims), bias: false, rng: &rng)
        bn = BatchNorm(cout)
        super.init()
        registerModule("0", GlobalAvgPool()); registerModule("1", conv); registerModule("2", bn); registerModule("3", ReLU())
    }

    override func callAsFunction(_ x: Tensor) -> Tensor {
        let pooled = conv(x.globalAvgPool())
        let y: Tensor
        if training && x.shape[0] == 1 {
            bn.setTraining(false)
            y = bn(pooled, fusedReLU: true)
            bn.setTraining(true)
        } else {
            y = bn(pooled, fusedReLU: true)
        }
        return y.resized(to: Array(x.shape[2...]), mode: .linear)
    }
}

/// Atrous spatial pyramid pooling (DeepLabv3 §3.3; torchvision names): `convs.0` 1x1, `convs.1..3` 3x3 with the atrous
/// rates, `convs.4` image pooling, each conv + BN + ReLU with `channels` outputs; concatenated and projected by
/// `project` (1x1 + BN + ReLU + dropout).
final class ASPP: Module {
    let convs: [Module], project: Sequential

    init(_ cin: Int, _ channels: Int, rates: [Int], dims: Int, dropout p: Float, dropoutSeed: UInt64, rng: inout RNG) {
        var branches: [Module] = [Sequential(Sequential.convBNReLU(cin, channels, kernel: 1, dims: dims, rng: &rng))]
        for r in rates { branches.append(Sequential(Sequential.convBNReLU(cin, channels, kernel: 3, dims: dims, dilation: r, rng: &rng))) }
        branches.append(ASPPPooling(cin, channels, dims: dims, rng: &rng))
        convs = branches
        project = Sequential(Sequential.convBNReLU(branches.count * channels, channels, kernel: 1, dims: dims, rng: &rng)
                             + [dropoutOrIdentity(p, seed: dropoutSeed)])
        super.init()
        registerModule("convs", ModuleList(convs))
        registerModule("project", project)
    }

    override func callAsFunction(_ x: Tensor) -> Tensor {
        let outs = convs.map { ($0 as? Sequential)?.callFused(x) ?? $0(x) }
        return project.callFused(Tensor.concat(outs, axis: 1))
    }
}

// MARK: - DeepLabv3

/// DeepLabv3 (Chen et al. 2017), 2D or 3D: residual encoder at output stride 8 or 16, ASPP, 3x3 conv + BN + ReLU,
/// 1x1 to the classes, bilinear / trilinear (align_corners false) resize to the input size. Maps `[N, Cin, *spatial]`
/// to logits `[N, classes, *spatial]` for any spatial size (the encoder floors odd sizes; the resize restores them).
///
/// State names follow torchvision's `deeplabv3_resnet*` (`backbone.conv1`, `backbone.layer1.0.conv1`,
/// `classifier.0.convs.1.0`, `classifier.0.project.0`, `classifier.1` .. `classifier.4`) and the PyTorch reference
/// `scripts/reference/zoo_deeplab.py`.
public final class DeepLabV3: Module {
    /// The configuration it was built from.
    public let config: DeepLabConfig
    let backbone: ResNetEncoder, classifier: Sequential

    /// Builds the network with weights drawn from `RNG(seed: seed)`; traps on an invalid configuration (check
    /// `config.problems` first for user input).
    public init(_ config: DeepLabConfig, seed: UInt64 = 0) {
        precondition(config.problems.isEmpty, "DeepLabV3: invalid configuration: \(config.problems.joined(separator: "; "))")
        self.config = config
        var rng = RNG(seed: seed)
        let d = config.dims, c = 4 * config.baseChannels
        let dropSeed = seed &* 0x9E37_79B9 &+ 1
        backbone = ResNetEncoder(config, dropoutSeed: dropSeed &+ 10, rng: &rng)
        let aspp = ASPP(8 * config.baseChannels, c, rates: config.asppRates, dims: d,
                        dropout: config.dropoutProbability(at: DropoutSite(.decoder, depthFraction: 1), reference: 0.5),
                        dropoutSeed: dropSeed, rng: &rng)
        classifier = Sequential([aspp] + Sequential.convBNReLU(c, c, kernel: 3, dims: d, rng: &rng)
                                + [Conv(c, config.classes, kernel: [Int](repeating: 1, count: d), rng: &rng)])
        super.init()
        registerModule("backbone", backbone)
        registerModule("classifier", classifier)
    }

    /// Logits `[N, classes, *spatial]` for `x` `[N, Cin, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == config.dims + 2 && x.shape[1] == config.inChannels,
                     "DeepLabV3: input shape \(x.shape) is not [N, \(config.inChannels), \(config.dims) spatial dims]")
        let (_, high) = backbone.features(x)
        return classifier.callFused(high).resized(to: Array(x.shape[2...]), mode: .linear)
    }
}

// MARK: - Registry

extension DeepLabConfig {
    /// Options `--model-opt` accepts for `deeplabv3` and `deeplabv3plus`.
    static let registryOptions = [
        "output-stride": "8 or 16 (default 16): encoder output stride; ASPP rates 6/12/18 at 16, 12/24/36 at 8",
        "resnet": "18 or 34 (default 18): basic blocks per residual layer 2,2,2,2 or 3,4,6,3",
    ]

    /// The configuration for a registry spec (`base`, `dims`, channels, classes, dropout plan and the options above;
    /// `depth`, `norm` and `upsampling` do not apply), or the problems with its options.
    static func from(_ spec: NetworkSpec) -> (config: DeepLabConfig?, problems: [String]) {
        var problems: [String] = []
        let stride = spec.options["output-stride"].map { DeepLabOutputStride(rawValue: $0) } ?? .sixteen
        if stride == nil { problems.append("output-stride must be 8 or 16, got '\(spec.options["output-stride"] ?? "")'") }
        let blocks: [Int]?
        switch spec.options["resnet"] ?? "18" {
        case "18": blocks = [2, 2, 2, 2]
        case "34": blocks = [3, 4, 6, 3]
        default: blocks = nil; problems.append("resnet must be 18 or 34, got '\(spec.options["resnet"] ?? "")'")
        }
        guard let stride, let blocks else { return (nil, problems) }
        let c = DeepLabConfig(dims: spec.dims, inChannels: spec.inChannels, classes: spec.classes, baseChannels: spec.base,
                              blocks: blocks, outputStride: stride, dropout: spec.dropout)
        return (c, c.problems)
    }

    /// The registry entry of a DeepLab variant built by `build` from a valid configuration (options above, divisor =
    /// output stride, paper width 64).
    static func registryEntry(name: String, summary: String,
                              build: @escaping @Sendable (DeepLabConfig, UInt64) -> any SegmentationNetwork) -> NetworkEntry {
        NetworkEntry(
            name: name, summary: summary, paperBase: 64, options: registryOptions,
            problems: { from($0).problems },
            divisor: { spec in Int(spec.options["output-stride"] ?? "16") ?? 16 },
            build: { spec, seed in
                guard let c = from(spec).config else { preconditionFailure("\(name): invalid spec \(spec)") }
                return build(c, seed)
            })
    }
}

extension DeepLabV3: SegmentationNetwork {
    public var spatialDims: Int { config.dims }
    public var inputChannels: Int { config.inChannels }
    public var classes: Int { config.classes }
    /// The output stride per axis (any size works; multiples keep the features aligned with the input).
    public var inputDivisor: [Int] { [Int](repeating: config.outputStride.value, count: config.dims) }

    /// `deeplabv3`: Chen et al. 2017.
    public static let registryEntry = DeepLabConfig.registryEntry(
        name: "deeplabv3", summary: "DeepLabv3 (Chen 2017): dilated ResNet encoder (output stride 8/16), ASPP 6/12/18 + image pooling, linear upsampling",
        build: { DeepLabV3($0, seed: $1) })
}
