import Engine

/// The DeepLabv3+ decoder (Chen et al. 2018 §3.1; names of the reference PyTorch implementation): low-level features
/// (layer1, stride 4) through `conv1` 1x1 + `bn1` + ReLU to 48·base/64 channels, concatenated with the ASPP output resized
/// (bilinear / trilinear) to their size, then `last_conv`: 3x3 conv + BN + ReLU + dropout, 3x3 conv + BN + ReLU +
/// dropout, 1x1 to the classes (reference dropout 0.5 and 0.1).
final class DeepLabDecoder: Module {
    let conv1: Conv, bn1: BatchNorm, lastConv: Sequential

    init(lowChannels: Int, reduced: Int, channels c: Int, classes: Int, dims: Int, dropout: (Float, Float), dropoutSeed: UInt64,
         rng: inout RNG) {
        conv1 = Conv(lowChannels, reduced, kernel: [Int](repeating: 1, count: dims), bias: false, rng: &rng)
        bn1 = BatchNorm(reduced)
        let first = Sequential.convBNReLU(c + reduced, c, kernel: 3, dims: dims, rng: &rng)
        let second = Sequential.convBNReLU(c, c, kernel: 3, dims: dims, rng: &rng)
        lastConv = Sequential(first + [dropoutOrIdentity(dropout.0, seed: dropoutSeed)] + second
                              + [dropoutOrIdentity(dropout.1, seed: dropoutSeed &+ 1), Conv(c, classes, kernel: [Int](repeating: 1, count: dims), rng: &rng)])
        super.init()
        registerModule("conv1", conv1); registerModule("bn1", bn1); registerModule("last_conv", lastConv)
    }

    /// Logits at the low-level resolution from the ASPP output `x` and the low-level features `low`.
    func decode(_ x: Tensor, low: Tensor) -> Tensor {
        let l = conv1.fusedInference(low, norm: bn1, relu: true) ?? bn1(conv1(low), fusedReLU: true)
        return lastConv.callFused(Tensor.concat([x.resized(to: Array(low.shape[2...]), mode: .linear), l], axis: 1))
    }
}

/// DeepLabv3+ (Chen et al. 2018), 2D or 3D: the DeepLabv3 encoder and ASPP (`DeepLabV3`), plus a decoder fusing the
/// stride-4 features of layer1, then a bilinear / trilinear (align_corners false) resize to the input size. Maps
/// `[N, Cin, *spatial]` to logits `[N, classes, *spatial]` for any spatial size.
///
/// State names: `backbone.*` (as `DeepLabV3`), `aspp.*` (torchvision ASPP), `decoder.conv1`, `decoder.bn1`,
/// `decoder.last_conv.{0,1,4,5,8}`; the PyTorch reference is `scripts/reference/zoo_deeplab.py`.
public final class DeepLabV3Plus: Module {
    /// The configuration it was built from.
    public let config: DeepLabConfig
    let backbone: ResNetEncoder, aspp: ASPP, decoder: DeepLabDecoder

    /// Builds the network with weights drawn from `RNG(seed: seed)`; traps on an invalid configuration (check
    /// `config.problems` first for user input).
    public init(_ config: DeepLabConfig, seed: UInt64 = 0) {
        precondition(config.problems.isEmpty, "DeepLabV3Plus: invalid configuration: \(config.problems.joined(separator: "; "))")
        self.config = config
        var rng = RNG(seed: seed)
        let d = config.dims, base = config.baseChannels, c = 4 * base
        let dropSeed = seed &* 0x9E37_79B9 &+ 1
        backbone = ResNetEncoder(config, dropoutSeed: dropSeed &+ 10, rng: &rng)
        aspp = ASPP(8 * base, c, rates: config.asppRates, dims: d,
                    dropout: config.dropoutProbability(at: DropoutSite(.decoder, depthFraction: 1), reference: 0.5), dropoutSeed: dropSeed, rng: &rng)
        let site = DropoutSite(.decoder, depthFraction: 0)
        decoder = DeepLabDecoder(lowChannels: base, reduced: Swift.max(1, 3 * base / 4), channels: c, classes: config.classes, dims: d,
                                 dropout: (config.dropoutProbability(at: site, reference: 0.5), config.dropoutProbability(at: site, reference: 0.1)),
                                 dropoutSeed: dropSeed &+ 1, rng: &rng)
        super.init()
        registerModule("backbone", backbone)
        registerModule("aspp", aspp)
        registerModule("decoder", decoder)
    }

    /// Logits `[N, classes, *spatial]` for `x` `[N, Cin, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == config.dims + 2 && x.shape[1] == config.inChannels,
                     "DeepLabV3Plus: input shape \(x.shape) is not [N, \(config.inChannels), \(config.dims) spatial dims]")
        let (low, high) = backbone.features(x)
        return decoder.decode(aspp(high), low: low).resized(to: Array(x.shape[2...]), mode: .linear)
    }
}

extension DeepLabV3Plus: SegmentationNetwork {
    public var spatialDims: Int { config.dims }
    public var inputChannels: Int { config.inChannels }
    public var classes: Int { config.classes }
    /// The output stride per axis (any size works; multiples keep the features aligned with the input).
    public var inputDivisor: [Int] { [Int](repeating: config.outputStride.value, count: config.dims) }

    /// `deeplabv3plus`: Chen et al. 2018.
    public static let registryEntry = DeepLabConfig.registryEntry(
        name: "deeplabv3plus", summary: "DeepLabv3+ (Chen 2018): DeepLabv3 encoder + ASPP, decoder fusing stride-4 features, linear upsampling",
        build: { DeepLabV3Plus($0, seed: $1) })
}
