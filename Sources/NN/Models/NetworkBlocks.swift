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
