import Engine

/// Hyper-parameters of `SegNet`, 2D or 3D.
public struct SegNetConfig: Sendable, Codable, Equatable {
    /// Spatial rank: 2 (`[N, C, H, W]`) or 3 (`[N, C, D, H, W]`).
    public var dims: Int
    /// Input channels.
    public var inChannels: Int
    /// Output classes (channels of the logits).
    public var classes: Int
    /// Width of the first stage; the stages have base·(1, 2, 4, 8, 8) (VGG16: 64).
    public var baseChannels: Int
    /// Encoder stages (1...5; the paper's VGG16 encoder has 5); spatial sizes must be divisible by 2^stages.
    public var stages: Int
    /// Dropout sites: after each encoder stage's pooling (encoder, depth fraction i / (stages - 1)) and after each decoder
    /// stage (decoder, the fraction of the stage it mirrors). SegNet has none (`.none`); Bayesian SegNet (Kendall et al.
    /// 2017) is `.both` at p = 0.5 on the central stages.
    public var dropout: DropoutPlan

    /// Creates a configuration with the paper's layout by default.
    public init(dims: Int, inChannels: Int = 1, classes: Int = 2, baseChannels: Int = 16, stages: Int = 5, dropout: DropoutPlan = .none) {
        self.dims = dims
        self.inChannels = inChannels
        self.classes = classes
        self.baseChannels = baseChannels
        self.stages = stages
        self.dropout = dropout
    }

    /// Why this configuration cannot build a network (empty when valid).
    public var problems: [String] {
        var out = commonNetworkProblems(dims: dims, inChannels: inChannels, classes: classes, baseChannels: baseChannels)
        if !(1...5).contains(stages) { out.append("stages must be in 1...5, got \(stages)") }
        out += dropout.problems
        return out
    }
}

/// SegNet (Badrinarayanan et al. 2017), 2D or 3D: a VGG16-BN encoder of 5 stages (2, 2, 3, 3, 3 convolutions 3x3 + BN
/// + ReLU, widths base·(1, 2, 4, 8, 8)), each followed by a 2x max-pool keeping its argmax indices; the decoder mirrors it
/// (max-unpooling by the stage's indices to the size before pooling, then 3, 3, 3, 2, 1 convolutions + BN + ReLU, the
/// last of each stage narrowing to the next stage's width) and ends in a 1x1 convolution to the classes. Maps
/// `[N, Cin, *spatial]` to logits `[N, classes, *spatial]`.
///
/// State names: `enc.i.{3k, 3k+1}` and `dec.i.{3k, 3k+1}` (conv, BN of the k-th convolution of a stage; `dec.0` is the
/// deepest), `head`; the PyTorch reference is `scripts/reference/zoo_segnet.py`.
public final class SegNet: Module {
    /// The configuration it was built from.
    public let config: SegNetConfig
    let enc: [Sequential], dec: [Sequential], head: Conv, encDrops: [Dropout?], decDrops: [Dropout?]

    /// Builds the network with weights drawn from `RNG(seed: seed)`; traps on an invalid configuration (check
    /// `config.problems` first for user input).
    public init(_ config: SegNetConfig, seed: UInt64 = 0) {
        precondition(config.problems.isEmpty, "SegNet: invalid configuration: \(config.problems.joined(separator: "; "))")
        self.config = config
        var rng = RNG(seed: seed)
        let d = config.dims, b = config.baseChannels, n = config.stages
        let widths = Array([b, 2 * b, 4 * b, 8 * b, 8 * b].prefix(n)), convs = Array([2, 2, 3, 3, 3].prefix(n))
        func stage(_ chans: [Int]) -> Sequential {
            Sequential(zip(chans.dropLast(), chans.dropFirst()).flatMap { a, c in
                Sequential.convBNReLU(a, c, kernel: 3, dims: d, bias: true, rng: &rng)
            })
        }
        enc = (0..<n).map { i in stage([i == 0 ? config.inChannels : widths[i - 1]] + [Int](repeating: widths[i], count: convs[i])) }
        dec = (0..<n).reversed().map { i in
            stage([Int](repeating: widths[i], count: i > 0 ? convs[i] : 1) + [i > 0 ? widths[i - 1] : widths[0]])
        }
        head = Conv(widths[0], config.classes, kernel: [Int](repeating: 1, count: d), rng: &rng)
        let dropSeed = seed &* 0x9E37_79B9 &+ 1
        func site(_ role: DropoutSite.Role, _ stage: Int, _ k: UInt64) -> Dropout? {
            let p = config.dropout.probability(at: DropoutSite(role, depthFraction: Double(stage) / Double(Swift.max(n - 1, 1))))
            return p > 0 ? Dropout(p: p, seed: dropSeed &+ k) : nil
        }
        encDrops = (0..<n).map { site(.encoder, $0, UInt64($0)) }
        decDrops = (0..<n).map { site(.decoder, n - 1 - $0, 100 &+ UInt64($0)) }
        super.init()
        registerModule("enc", ModuleList(enc))
        registerModule("dec", ModuleList(dec))
        registerModule("head", head)
        for (i, d) in encDrops.enumerated() { if let d { registerModule("enc_drop\(i)", d) } }
        for (i, d) in decDrops.enumerated() { if let d { registerModule("dec_drop\(i)", d) } }
    }

    /// Logits `[N, classes, *spatial]` for `x` `[N, Cin, *spatial]` (spatial sizes divisible by 2^stages).
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        let d = config.dims, n = config.stages
        precondition(x.rank == d + 2 && x.shape[1] == config.inChannels,
                     "SegNet: input shape \(x.shape) is not [N, \(config.inChannels), \(d) spatial dims]")
        precondition(x.shape.dropFirst(2).allSatisfy { $0 % (1 << n) == 0 },
                     "SegNet: spatial size \(Array(x.shape.dropFirst(2))) must be divisible by 2^stages = \(1 << n)")
        let two = [Int](repeating: 2, count: d)
        var y = x, saved: [PoolingIndices] = []
        for (i, stage) in enc.enumerated() {
            let (pooled, indices) = stage.callFused(y).maxPoolWithIndices(kernel: two, stride: two)
            saved.append(indices)
            y = encDrops[i].map { $0(pooled) } ?? pooled
        }
        for (k, stage) in dec.enumerated() {
            guard let indices = saved.popLast() else { break }
            y = stage.callFused(y.maxUnpool(indices: indices))
            if let drop = decDrops[k] { y = drop(y) }
        }
        return head(y)
    }
}

extension SegNet: SegmentationNetwork {
    public var spatialDims: Int { config.dims }
    public var inputChannels: Int { config.inChannels }
    public var classes: Int { config.classes }
    public var inputDivisor: [Int] { [Int](repeating: 1 << config.stages, count: config.dims) }

    /// The configuration for a registry spec (`base`, `dims`, channels, classes, dropout plan, option `stages`; `depth`,
    /// `norm`, `upsampling` do not apply); nil when `stages` is not an integer.
    static func config(for spec: NetworkSpec) -> SegNetConfig? {
        spec.intOption("stages", default: 5).map {
            SegNetConfig(dims: spec.dims, inChannels: spec.inChannels, classes: spec.classes, baseChannels: spec.base, stages: $0,
                         dropout: spec.dropout)
        }
    }

    /// `segnet`: Badrinarayanan et al. 2017.
    public static let registryEntry = NetworkEntry(
        name: "segnet", summary: "SegNet (Badrinarayanan 2017): VGG16-BN encoder, decoder max-unpooling by the pooling indices",
        paperBase: 64, options: ["stages": "1...5 (default 5): encoder stages; input sizes must be divisible by 2^stages"],
        problems: { spec in SegNet.config(for: spec)?.problems ?? ["stages must be an integer, got '\(spec.options["stages"] ?? "")'"] },
        divisor: { spec in 1 << (spec.intOption("stages", default: 5) ?? 5) },
        build: { spec, seed in
            guard let c = SegNet.config(for: spec) else { preconditionFailure("segnet: invalid spec \(spec)") }
            return SegNet(c, seed: seed)
        })
}
