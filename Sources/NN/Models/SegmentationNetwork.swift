import Engine

/// A segmentation network the trainer, checkpoints, `predict`, sliding windows and every strategy work with
/// (docs/ARCHITECTURE.md §5 "where to add a network").
///
/// A `Module` mapping images `[B, C, *spatial]` (`spatial` = `[H, W]` for `spatialDims == 2`, `[D, H, W]` for 3) to
/// class logits `[B, K, *spatial]` of the same spatial size. Spatial sizes must be multiples of `inputDivisor` per
/// axis (the run pads whole images to it, `DivisorPadding`). Its state dict names match the network's PyTorch
/// reference module, so `export-weights` loads into PyTorch.
///
/// Dropout: a network places `Dropout` layers where its `NetworkSpec.dropout` plan asks (`DropoutPlan`); MC dropout
/// and checkpoints find them by walking `namedModules()`, so nothing else is needed from a network.
///
/// Deep supervision: `forwardWithAuxiliary` returns extra logits (same shape as the main output) whose loss the
/// trainer averages with the main one during training; networks without it return none.
public protocol SegmentationNetwork: Module {
    /// Spatial rank: 2 (`[B, C, H, W]`) or 3 (`[B, C, D, H, W]`).
    var spatialDims: Int { get }
    /// Input channels C.
    var inputChannels: Int { get }
    /// Output classes K (channels of the logits, background included).
    var classes: Int { get }
    /// Per spatial axis, the number every input size must be a multiple of (e.g. `2^depth` for a U-Net).
    var inputDivisor: [Int] { get }
    /// Main logits `[B, K, *spatial]` and, while training with deep supervision, auxiliary logits of the same shape
    /// (empty otherwise). `callAsFunction(x)` returns the main logits alone.
    func forwardWithAuxiliary(_ x: Tensor) -> (logits: Tensor, auxiliary: [Tensor])
}

extension SegmentationNetwork {
    /// No auxiliary outputs (networks without deep supervision).
    public func forwardWithAuxiliary(_ x: Tensor) -> (logits: Tensor, auxiliary: [Tensor]) { (self(x), []) }

    /// The dropout layers in `namedModules()` order (what MC dropout forces on at inference).
    public var dropoutLayers: [Dropout] { namedModules().compactMap { $0.module as? Dropout } }

    /// Traps with a readable message unless `x` is `[B, inputChannels, *spatial]` with sizes divisible by
    /// `inputDivisor` (call at the top of `callAsFunction`).
    public func checkInput(_ x: Tensor, network: String) {
        precondition(x.rank == spatialDims + 2 && x.shape[1] == inputChannels,
                     "\(network): input shape \(x.shape) is not [N, \(inputChannels), \(spatialDims) spatial dims]")
        precondition(zip(x.shape.dropFirst(2), inputDivisor).allSatisfy { $0 % $1 == 0 },
                     "\(network): spatial size \(Array(x.shape.dropFirst(2))) must be divisible by \(inputDivisor)")
    }
}

/// Which blocks of a network a dropout plan selects.
public enum DropoutPlacement: String, Sendable, Codable, CaseIterable {
    /// No dropout requested: a network adds none of its own sites; networks whose reference architecture has dropout
    /// (DeepLab's ASPP, the dilated FCN's head) keep that. `p = 0` with any other placement turns every dropout off.
    case none
    /// Every encoder block (the bottleneck included) gets `p`.
    case encoder
    /// Every decoder block gets `p`.
    case decoder
    /// Encoder and decoder blocks get `p`.
    case both
    /// Encoder blocks only, rising with depth as p × (0.1, 0.2, 0.4, 0.6, 1.0) from the first block to the
    /// bottleneck, interpolated for other depths (SSL4MIS's U-Net profile).
    case encoderRamp = "encoder-ramp"
}

/// Where in a network a dropout site sits: its role and its relative depth (0 = full resolution, 1 = bottleneck).
public struct DropoutSite: Sendable, Equatable {
    /// Encoder (down path and bottleneck) or decoder.
    public enum Role: String, Sendable { case encoder, decoder }
    public let role: Role
    /// Depth as a fraction in [0, 1]: stage index / number of down-samplings.
    public let depthFraction: Double
    public init(_ role: Role, depthFraction: Double) { self.role = role; self.depthFraction = depthFraction }
}

/// Dropout requested from a network (MC dropout sets it through `Strategy.configure(model:)`); the network asks it
/// for the probability of each of its dropout sites, and builds a `Dropout` layer where that is above 0.
public struct DropoutPlan: Sendable, Codable, Equatable {
    /// Probability (or the bottleneck's probability for `.encoderRamp`), in [0, 1).
    public var p: Double
    public var placement: DropoutPlacement

    public init(p: Double = 0, placement: DropoutPlacement = .none) { self.p = p; self.placement = placement }

    /// No dropout requested (a network keeps only its reference architecture's own dropout, see `DropoutPlacement.none`).
    public static let none = DropoutPlan()
    /// No dropout anywhere, not even a reference architecture's own.
    public static let off = DropoutPlan(p: 0, placement: .both)

    /// The probability for a site (0 = no dropout layer there).
    public func probability(at site: DropoutSite) -> Float {
        guard p > 0 else { return 0 }
        switch (placement, site.role) {
        case (.none, _): return 0
        case (.encoderRamp, .encoder): return Float(p * DropoutPlan.rampRatio(site.depthFraction))
        case (.encoderRamp, .decoder): return 0
        case (.encoder, .encoder), (.decoder, .decoder), (.both, _): return Float(p)
        case (.encoder, .decoder), (.decoder, .encoder): return 0
        }
    }

    /// SSL4MIS's encoder dropout profile relative to its deepest value, (0.1, 0.2, 0.4, 0.6, 1.0) at depth fractions
    /// 0, ¼, ½, ¾, 1, linearly interpolated in between.
    public static func rampRatio(_ x: Double) -> Double {
        let r = [0.1, 0.2, 0.4, 0.6, 1.0]
        let pos = min(max(x, 0), 1) * 4
        let i = min(Int(pos), 3), f = pos - Double(i)
        return r[i] * (1 - f) + r[i + 1] * f
    }

    /// Why the plan is invalid (empty when valid).
    public var problems: [String] {
        p >= 0 && p < 1 ? [] : ["dropout probability must be in [0, 1), got \(p)"]
    }
}

/// Everything needed to build any registered network (`NetworkRegistry.build`). Fields a network does not use are
/// ignored by it (its registry entry says which it reads); network-specific settings go into `options`
/// (`--model-opt key=value`), validated by the network's entry.
public struct NetworkSpec: Sendable, Codable, Equatable {
    /// Registry name (`semiseg models`), e.g. "unet", "vnet".
    public var name: String
    /// Spatial rank, 2 or 3.
    public var dims: Int
    /// Input channels.
    public var inChannels: Int
    /// Output classes (background included).
    public var classes: Int
    /// Width: channels of the first stage (later stages multiply it).
    public var base: Int
    /// Number of 2x down-samplings for networks with stages (U-Net family, V-Net).
    public var depth: Int
    /// Normalisation inside convolution blocks.
    public var norm: NormKind
    /// Decoder upsampling for networks that offer a choice.
    public var upsampling: UpsamplingKind
    /// Dropout sites' probabilities.
    public var dropout: DropoutPlan
    /// Network-specific options (keys and values as strings; each network documents and checks its own).
    public var options: [String: String]

    public init(name: String, dims: Int, inChannels: Int = 1, classes: Int = 2, base: Int = 8, depth: Int = 4,
                norm: NormKind = .batch, upsampling: UpsamplingKind = .nearestConv, dropout: DropoutPlan = .none,
                options: [String: String] = [:]) {
        self.name = name; self.dims = dims; self.inChannels = inChannels; self.classes = classes; self.base = base
        self.depth = depth; self.norm = norm; self.upsampling = upsampling; self.dropout = dropout; self.options = options
    }

    /// A Bool option ("true"/"false"/"1"/"0"), `default` when absent; nil when present but not a Bool.
    public func boolOption(_ key: String, default value: Bool) -> Bool? {
        guard let s = options[key] else { return value }
        switch s.lowercased() { case "true", "1", "yes": return true; case "false", "0", "no": return false; default: return nil }
    }

    /// An Int option, `default` when absent; nil when present but not an integer.
    public func intOption(_ key: String, default value: Int) -> Int? {
        guard let s = options[key] else { return value }
        return Int(s)
    }
}
