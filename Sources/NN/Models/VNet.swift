import Engine

/// One V-Net stage body: `n` (conv5 → norm → PReLU) layers (`convs.i`), added to the stage input, then PReLU (`act`).
final class VNetResidual: Module {
    let convs: [ConvNormAct]
    let act: PReLU
    let drop: Dropout?

    init(channels: Int, convs n: Int, dims: Int, norm: NormKind, dropout: Dropout?, rng: inout RNG) {
        convs = (0..<n).map { _ in
            ConvNormAct(Conv(channels, channels, kernel: 5, dims: dims, padding: 2, rng: &rng), channels: channels, norm: norm, activation: .prelu)
        }
        act = PReLU(channels)
        drop = dropout
        super.init()
        registerModule("convs", ModuleList(convs))
        registerModule("act", act)
        if let d = drop { registerModule("drop", d) }
    }

    /// PReLU(convs(dropout(x)) + x) for `x` `[N, C, *spatial]`.
    override func callAsFunction(_ x: Tensor) -> Tensor {
        var y = drop.map { $0(x) } ?? x
        for c in convs { y = c(y) }
        return act(y + x)
    }
}

/// V-Net (Milletari, Navab & Ahmadi 2016, "V-Net: fully convolutional neural networks for volumetric medical image
/// segmentation"), 2D or 3D: `[N, Cin, *spatial]` → logits `[N, classes, *spatial]`.
///
/// As the paper: 5-wide convolutions (padding 2) with PReLU, residual stages with 1, 2, 3, 3, 3 convolutions from full
/// resolution to the bottleneck (decoder mirrored: 3, 3, 2, 1), down-sampling by 2-wide stride-2 convolutions doubling
/// the channels, up-sampling by 2-wide stride-2 transposed convolutions, the decoder stage concatenating the up-sampled
/// features with the encoder's and adding the concatenation to its output, a 1-wide head. The input stage adds the
/// input repeated to `base` channels (so `base` must be a multiple of the input channels). Like the common PyTorch ports
/// (vnet.pytorch, MONAI), every convolution is followed by a normalisation (`spec.norm`, batch by default; the 2016
/// paper had none). Channels: stage s has `base·2^s`; decoder stage s has `base·2^(s+1)` after concatenation.
///
/// State dict names (`scripts/reference/zoo_reference.py` `VNet`): `inc.*`, `down.i.{down,res}.*`,
/// `up.i.{up,res}.*` (deepest first), `head.*`.
public final class VNet: Module, SpecifiedNetwork {
    public let spec: NetworkSpec
    let inc: VNetInput
    let downConv: [ConvNormAct], downRes: [VNetResidual]
    let upConv: [ConvNormAct], upRes: [VNetResidual]
    let head: Conv

    /// Convolutions per stage s (encoder and decoder): 1, 2, 3, 3, 3, ...
    static func convs(stage s: Int) -> Int { min(s + 1, 3) }

    /// Builds the network for a valid `spec` (see `NetworkRegistry.problems`) with weights from `seed`.
    public init(_ spec: NetworkSpec, seed: UInt64 = 0) {
        self.spec = spec
        var rng = RNG(seed: seed)
        let d = spec.dims, L = spec.depth, b = spec.base
        let ch = (0...L).map { b << $0 }
        func p(_ role: DropoutSite.Role, _ s: Int) -> Float { spec.dropout.probability(at: DropoutSite(role, depthFraction: Double(s) / Double(max(L, 1)))) }
        var site = 0
        inc = VNetInput(conv: ConvNormAct(Conv(spec.inChannels, b, kernel: 5, dims: d, padding: 2, rng: &rng), channels: b, norm: spec.norm, activation: .none),
                        act: PReLU(b), drop: dropoutLayer(p(.encoder, 0), networkSeed: seed, site: site))
        var dc: [ConvNormAct] = [], dr: [VNetResidual] = []
        for s in 1...L {
            dc.append(ConvNormAct(Conv(ch[s - 1], ch[s], kernel: 2, dims: d, stride: 2, rng: &rng), channels: ch[s], norm: spec.norm, activation: .prelu))
            site += 1
            dr.append(VNetResidual(channels: ch[s], convs: VNet.convs(stage: s), dims: d, norm: spec.norm,
                                   dropout: dropoutLayer(p(.encoder, s), networkSeed: seed, site: site), rng: &rng))
        }
        downConv = dc; downRes = dr
        var uc: [ConvNormAct] = [], ur: [VNetResidual] = []
        var cin = ch[L]
        for s in (0..<L).reversed() {
            uc.append(ConvNormAct(ConvTranspose(cin, ch[s], kernel: cube(2, d), stride: cube(2, d), rng: &rng), channels: ch[s], norm: spec.norm, activation: .prelu))
            site += 1
            ur.append(VNetResidual(channels: 2 * ch[s], convs: VNet.convs(stage: s), dims: d, norm: spec.norm,
                                   dropout: dropoutLayer(p(.decoder, s), networkSeed: seed, site: site), rng: &rng))
            cin = 2 * ch[s]
        }
        upConv = uc; upRes = ur
        head = Conv(2 * b, spec.classes, kernel: 1, dims: d, rng: &rng)
        super.init()
        registerModule("inc", inc)
        registerModule("down", ModuleList(zip(dc, dr).map { VNetStage(first: $0, res: $1, firstName: "down") }))
        registerModule("up", ModuleList(zip(uc, ur).map { VNetStage(first: $0, res: $1, firstName: "up") }))
        registerModule("head", head)
    }

    /// Logits `[N, classes, *spatial]` for `x` `[N, Cin, *spatial]` (sizes divisible by 2^depth).
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        checkInput(x, network: "vnet")
        let reps = spec.base / spec.inChannels
        let repeated = reps == 1 ? x : Tensor.concat([Tensor](repeating: x, count: reps), axis: 1)
        var y = inc(x, residual: repeated)
        var skips: [Tensor] = []
        for (c, r) in zip(downConv, downRes) {
            skips.append(y)
            y = r(c(y))
        }
        for (c, r) in zip(upConv, upRes) {
            guard let skip = skips.popLast() else { break }
            y = r(Tensor.concat([c(y), skip], axis: 1))
        }
        return head(y)
    }

    /// `vnet`: registry entry (paper width 16).
    public static let registryEntry = NetworkEntry(
        name: "vnet", summary: "V-Net (Milletari 2016): 5-wide convs, residual stages, PReLU, strided-conv down, transposed-conv up",
        paperBase: 16,
        problems: { spec in
            var p: [String] = []
            if spec.depth < 1 || spec.depth > 6 { p.append("vnet depth must be in 1...6, got \(spec.depth)") }
            if spec.base % spec.inChannels != 0 { p.append("vnet adds the input repeated to base channels: base \(spec.base) must be a multiple of the \(spec.inChannels) input channels") }
            return p
        },
        divisor: { 1 << $0.depth },
        build: { spec, seed in VNet(spec, seed: seed) })
}

/// The V-Net input stage, registered as `conv`, `norm` (conv5 to `base` channels), `act` (PReLU after adding the
/// repeated input) and optional `drop` (dropout on the stage output).
final class VNetInput: Module {
    let block: ConvNormAct, act: PReLU, drop: Dropout?
    init(conv: ConvNormAct, act: PReLU, drop: Dropout?) {
        block = conv; self.act = act; self.drop = drop
        super.init()
        registerModule("conv", conv.conv)
        if let n = conv.norm { registerModule("norm", n) }
        registerModule("act", act)
        if let d = drop { registerModule("drop", d) }
    }
    /// PReLU(norm(conv(x)) + residual), then dropout.
    func callAsFunction(_ x: Tensor, residual: Tensor) -> Tensor {
        let y = act(block(x) + residual)
        return drop.map { $0(y) } ?? y
    }
}

/// A down or up transition: the resampling conv (+ norm + PReLU) under `down`/`up`, the residual stage under `res`.
final class VNetStage: Module {
    init(first: ConvNormAct, res: VNetResidual, firstName: String) {
        super.init()
        registerModule(firstName, first)
        registerModule("res", res)
    }
}
