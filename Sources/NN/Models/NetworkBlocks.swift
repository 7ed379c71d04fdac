import Engine

/// Building blocks shared by the zoo networks (docs/ARCHITECTURE.md §5); each matches a PyTorch reference module in
/// `scripts/reference/zoo_reference.py` name by name.

/// The normalisation layer of `kind` for `channels`, or nil for `.none`.
func normLayer(_ kind: NormKind, _ channels: Int) -> Module? {
    switch kind {
    case .batch: return BatchNorm(channels)
    case .instance: return InstanceNorm(channels)
    case .none: return nil
    }
}

/// Activation of a `ConvNormAct`.
enum BlockActivation { case relu, prelu, none }

/// conv → optional norm → optional activation, registered as `conv`, `norm`, `act` (absent entries are skipped).
/// Without normalisation the convolution keeps its bias; with it the bias stays too (PyTorch's default `bias=True`).
final class ConvNormAct: Module {
    let conv: Module
    let norm: Module?
    let act: Module?

    init(_ conv: Module, channels: Int, norm: NormKind, activation: BlockActivation) {
        self.conv = conv
        self.norm = normLayer(norm, channels)
        switch activation {
        case .relu: act = ReLU()
        case .prelu: act = PReLU(channels)
        case .none: act = nil
        }
        super.init()
        registerModule("conv", conv)
        if let n = self.norm { registerModule("norm", n) }
        if let a = act { registerModule("act", a) }
    }

    override func callAsFunction(_ x: Tensor) -> Tensor {
        var y = conv(x)
        if let n = norm { y = n(y) }
        if let a = act { y = a(y) }
        return y
    }
}

/// A `Dropout` for probability `p` (nil when 0), its masks seeded from the network seed and the site index.
func dropoutLayer(_ p: Float, networkSeed: UInt64, site: Int) -> Dropout? {
    p > 0 ? Dropout(p: p, seed: (networkSeed &* 0x9E37_79B9 &+ 1) &+ UInt64(site)) : nil
}

/// `n` copies of one value per spatial axis.
func cube(_ v: Int, _ dims: Int) -> [Int] { [Int](repeating: v, count: dims) }

/// A network built from a `NetworkSpec` whose rank, channels and classes are the spec's and whose input divisor is
/// 2^depth per axis (the U-Net family and V-Net): conform to get those `SegmentationNetwork` requirements.
public protocol SpecifiedNetwork: SegmentationNetwork {
    /// The spec it was built from.
    var spec: NetworkSpec { get }
}

extension SpecifiedNetwork {
    public var spatialDims: Int { spec.dims }
    public var inputChannels: Int { spec.inChannels }
    public var classes: Int { spec.classes }
    public var inputDivisor: [Int] { cube(1 << spec.depth, spec.dims) }
}

/// The decoder's resolution-doubling layer from `cin` to `cout` channels: a 3-wide conv applied after nearest x2
/// (`.nearestConv`), or a 2-wide stride-2 transposed conv.
func upsamplingLayer(_ kind: UpsamplingKind, _ cin: Int, _ cout: Int, dims: Int, rng: inout RNG) -> Module {
    switch kind {
    case .nearestConv: return Conv(cin, cout, kernel: 3, dims: dims, padding: 1, rng: &rng)
    case .transposedConv: return ConvTranspose(cin, cout, kernel: cube(2, dims), stride: cube(2, dims), rng: &rng)
    }
}

/// Applies an `upsamplingLayer` of `kind` to `x` `[N, C, *spatial]` (doubling every spatial size).
/// In inference the nearest-x2 convolution reads `x` in place (`Conv.fusedInference(upsampling:)`), the same values.
func upsample(_ x: Tensor, _ layer: Module, _ kind: UpsamplingKind) -> Tensor {
    guard kind == .nearestConv else { return layer(x) }
    if let conv = layer as? Conv, let y = conv.fusedInference(upsampling: x, scale: cube(2, x.rank - 2)) { return y }
    return layer(x.upsample(scale: cube(2, x.rank - 2), mode: .nearest))
}
