import Engine

/// Normalisation used inside U-Net conv blocks.
public enum NormKind: String, Sendable, Codable {
    /// `BatchNorm` (the benchmark networks).
    case batch
    /// Affine `InstanceNorm` (nnU-Net style).
    case instance
    /// No normalisation (convolutions keep their bias).
    case none
}

/// How a U-Net decoder stage doubles the resolution.
public enum UpsamplingKind: String, Sendable, Codable {
    /// Nearest-neighbour x2 followed by a 3-wide convolution halving the channels (the benchmark networks).
    case nearestConv
    /// Transposed convolution, kernel 2, stride 2, halving the channels.
    case transposedConv
}

/// Hyper-parameters of a 2D/3D U-Net.
public struct UNetConfig: Sendable, Codable, Equatable {
    /// Spatial rank: 2 (input `[N, Cin, H, W]`) or 3 (`[N, Cin, D, H, W]`).
    public var dims: Int
    /// Input channels.
    public var inChannels: Int
    /// Output classes (channels of the logits).
    public var classes: Int
    /// Channels of the first stage; stage i has `base·2^i`.
    public var baseChannels: Int
    /// Number of 2x down-samplings (spatial sizes must be divisible by 2^depth).
    public var depth: Int
    /// Normalisation inside every DoubleConv.
    public var norm: NormKind
    /// Dropout probability at the end of each encoder DoubleConv (`inc` then `down.*`), length depth+1, or empty.
    public var encoderDropout: [Float]
    /// Dropout probability at the end of each decoder DoubleConv (`dec.*`), length depth, or empty.
    public var decoderDropout: [Float]
    /// Decoder upsampling.
    public var upsampling: UpsamplingKind

    /// Creates a configuration (defaults: batch norm, no dropout, nearest+conv upsampling).
    public init(dims: Int, inChannels: Int = 1, classes: Int = 2, baseChannels: Int, depth: Int = 4, norm: NormKind = .batch,
                encoderDropout: [Float] = [], decoderDropout: [Float] = [], upsampling: UpsamplingKind = .nearestConv) {
        self.dims = dims
        self.inChannels = inChannels
        self.classes = classes
        self.baseChannels = baseChannels
        self.depth = depth
        self.norm = norm
        self.encoderDropout = encoderDropout
        self.decoderDropout = decoderDropout
        self.upsampling = upsampling
    }

    /// `unet3d-s8`: the 3D benchmark network (base 8, depth 4, batch norm), 1,619,970 parameters.
    public static let unet3dS8 = UNetConfig(dims: 3, baseChannels: 8)
    /// `unet2d-s16`: the 2D benchmark network (base 16, depth 4, batch norm), 2,161,378 parameters.
    public static let unet2dS16 = UNetConfig(dims: 2, baseChannels: 16)

    /// Why this configuration cannot build a network (empty when valid), e.g. for CLI or config-file errors.
    public var problems: [String] {
        var out: [String] = []
        if dims != 2 && dims != 3 { out.append("dims must be 2 or 3, got \(dims)") }
        if inChannels < 1 { out.append("inChannels must be positive, got \(inChannels)") }
        if classes < 2 { out.append("classes must be at least 2, got \(classes)") }
        if baseChannels < 1 { out.append("baseChannels must be positive, got \(baseChannels)") }
        if depth < 1 || depth > 8 { out.append("depth must be in 1...8, got \(depth)") }
        if !encoderDropout.isEmpty && encoderDropout.count != depth + 1 {
            out.append("encoderDropout needs \(depth + 1) values (inc + \(depth) down blocks), got \(encoderDropout.count)")
        }
        if !decoderDropout.isEmpty && decoderDropout.count != depth {
            out.append("decoderDropout needs \(depth) values, got \(decoderDropout.count)")
        }
        if (encoderDropout + decoderDropout).contains(where: { !($0 >= 0 && $0 < 1) }) { out.append("dropout probabilities must be in [0, 1)") }
        return out
    }

    /// Looks up a benchmark preset by name (`unet3d-s8`, `unet2d-s16`).
    public static func preset(named name: String) -> UNetConfig? {
        switch name {
        case "unet3d-s8": return .unet3dS8
        case "unet2d-s16": return .unet2dS16
        default: return nil
        }
    }
}

/// (conv3 pad1 → norm → ReLU) x2, then optional dropout, as one `Sequential` named `b`.
///
/// Indices inside `b` match the PyTorch reference (`b.0` conv, `b.1` norm, `b.2` ReLU, `b.3` conv, `b.4` norm,
/// `b.5` ReLU, `b.6` dropout); without normalisation the norm entries are absent and indices shift down.
public final class DoubleConv: Module {
    /// The layer sequence.
    public let b: Sequential

    /// Creates a block mapping `inChannels` to `outChannels`.
    public init(_ inChannels: Int, _ outChannels: Int, dims: Int, norm: NormKind, dropout: Float = 0, dropoutSeed: UInt64 = 0,
                rng: inout RNG) {
        var layers: [Module] = []
        for (cin, cout) in [(inChannels, outChannels), (outChannels, outChannels)] {
            layers.append(Conv(cin, cout, kernel: 3, dims: dims, padding: 1, rng: &rng))
            switch norm {
            case .batch: layers.append(BatchNorm(cout))
            case .instance: layers.append(InstanceNorm(cout))
            case .none: break
            }
            layers.append(ReLU())
        }
        if dropout > 0 { layers.append(Dropout(p: dropout, seed: dropoutSeed)) }
        b = Sequential(layers)
        super.init()
        registerModule("b", b)
    }

    /// Applies the block to `x` `[N, Cin, *spatial]` (a BatchNorm followed by ReLU runs as one fused op; without
    /// recording and with the batch norm in eval mode, each conv -> batch norm -> ReLU runs as one inference op).
    public override func callAsFunction(_ x: Tensor) -> Tensor { b.callFused(x) }

    /// Applies the block to the channel concatenation of `parts` (`callAsFunction(Tensor.concat(parts, axis: 1))`, the
    /// same values); in inference the first convolution reads the parts in place (`Sequential.callFused(concatenating:)`).
    public func callAsFunction(concatenating parts: [Tensor]) -> Tensor { b.callFused(concatenating: parts) }
}

/// A 2D/3D U-Net (`[N, Cin, *spatial]` → logits `[N, classes, *spatial]`), named exactly like the PyTorch
/// reference in `bench/torch_unet_step.py`: `inc`, `down.i` (after a 2x max-pool), `upc.i` (upsampling),
/// `dec.i` (DoubleConv on `concat(skip, up)`), `head` (1-wide conv).
public final class UNet: Module {
    /// The configuration it was built from.
    public let config: UNetConfig
    /// Encoder blocks.
    public let inc: DoubleConv, down: [DoubleConv]
    /// Upsampling convolutions (conv3 after nearest x2, or transposed conv), deepest first.
    public let upc: [Module]
    /// Decoder blocks, deepest first.
    public let dec: [DoubleConv]
    /// Final 1-wide convolution to class logits.
    public let head: Conv

    /// Builds the network with weights drawn from `RNG(seed: seed)`; traps on an invalid configuration (check
    /// `config.problems` first for user input).
    public init(_ config: UNetConfig, seed: UInt64 = 0) {
        precondition(config.problems.isEmpty, "UNet: invalid configuration: \(config.problems.joined(separator: "; "))")
        self.config = config
        var rng = RNG(seed: seed)
        let d = config.dims
        let ch = (0...config.depth).map { config.baseChannels << $0 }
        func encP(_ i: Int) -> Float { config.encoderDropout.isEmpty ? 0 : config.encoderDropout[i] }
        func decP(_ i: Int) -> Float { config.decoderDropout.isEmpty ? 0 : config.decoderDropout[i] }
        let dropSeed = seed &* 0x9E37_79B9 &+ 1
        inc = DoubleConv(config.inChannels, ch[0], dims: d, norm: config.norm, dropout: encP(0), dropoutSeed: dropSeed, rng: &rng)
        down = (0..<config.depth).map { i in
            DoubleConv(ch[i], ch[i + 1], dims: d, norm: config.norm, dropout: encP(i + 1), dropoutSeed: dropSeed &+ UInt64(i + 1), rng: &rng)
        }
        upc = (0..<config.depth).reversed().map { i in upsamplingLayer(config.upsampling, ch[i + 1], ch[i], dims: d, rng: &rng) }
        dec = (0..<config.depth).reversed().enumerated().map { k, i in
            DoubleConv(2 * ch[i], ch[i], dims: d, norm: config.norm, dropout: decP(k), dropoutSeed: dropSeed &+ UInt64(100 + k), rng: &rng)
        }
        head = Conv(ch[0], config.classes, kernel: 1, dims: d, rng: &rng)
        super.init()
        registerModule("inc", inc)
        registerModule("down", ModuleList(down))
        registerModule("upc", ModuleList(upc))
        registerModule("dec", ModuleList(dec))
        registerModule("head", head)
    }

    /// Logits `[N, classes, *spatial]` for `x` `[N, Cin, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        let d = config.dims
        precondition(x.rank == d + 2 && x.shape[1] == config.inChannels,
                     "UNet: input shape \(x.shape) is not [N, \(config.inChannels), \(d) spatial dims]")
        precondition(x.shape.dropFirst(2).allSatisfy { $0 % (1 << config.depth) == 0 },
                     "UNet: spatial size \(Array(x.shape.dropFirst(2))) must be divisible by 2^depth = \(1 << config.depth)")
        let two = [Int](repeating: 2, count: d)
        var skips = [inc(x)]
        for block in down {
            guard let last = skips.last else { break }
            skips.append(block(last.maxPool(kernel: two, stride: two)))
        }
        var y = skips.removeLast()
        for (up, block) in zip(upc, dec) {
            let u = upsample(y, up, config.upsampling)
            y = block(concatenating: [skips.removeLast(), u])
        }
        return head(y)
    }
}

/// A list of child modules named "0", "1", ... (like `nn.ModuleList`); it has no forward pass.
public final class ModuleList: Module {
    /// The modules in order.
    public let modules: [Module]
    /// Registers `modules` under their indices.
    public init(_ modules: [Module]) {
        self.modules = modules
        super.init()
        for (i, m) in modules.enumerated() { registerModule(String(i), m) }
    }
}
