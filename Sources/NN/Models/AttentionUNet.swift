import Engine

/// Additive attention gate (Oktay et al. 2018): α = σ(ψ(ReLU(W_g·g + W_x·x))), output α·x, where `x` is the encoder
/// skip `[N, Fl, *spatial]` and `g` the gating signal `[N, Fg, *spatial]` at the same resolution. `wg`, `wx`, `psi`
/// are 1-wide convolutions each followed by the block normalisation (as MONAI's `AttentionBlock`).
final class AttentionGate: Module {
    let wg: ConvNormAct, wx: ConvNormAct, psi: ConvNormAct

    init(gate fg: Int, skip fl: Int, inner fi: Int, dims: Int, norm: NormKind, rng: inout RNG) {
        wg = ConvNormAct(Conv(fg, fi, kernel: 1, dims: dims, rng: &rng), channels: fi, norm: norm, activation: .none)
        wx = ConvNormAct(Conv(fl, fi, kernel: 1, dims: dims, rng: &rng), channels: fi, norm: norm, activation: .none)
        psi = ConvNormAct(Conv(fi, 1, kernel: 1, dims: dims, rng: &rng), channels: 1, norm: norm, activation: .none)
        super.init()
        registerModule("wg", wg)
        registerModule("wx", wx)
        registerModule("psi", psi)
    }

    /// The attention logits ψ(ReLU(W_g·g + W_x·x)) `[N, 1, *spatial]` (add and ReLU fused: `Tensor.addingRelu`).
    func logits(_ x: Tensor, gate g: Tensor) -> Tensor { psi(wg(g).addingRelu(wx(x))) }

    /// The attention coefficients `[N, 1, *spatial]` for skip `x` and gate `g`.
    func coefficients(_ x: Tensor, gate g: Tensor) -> Tensor { logits(x, gate: g).sigmoid() }

    /// `x` scaled by its attention coefficients (broadcast over channels; sigmoid and product fused:
    /// `Tensor.scaledBySigmoid`, bit for bit `x * coefficients(x, gate: g)`).
    func callAsFunction(_ x: Tensor, gate g: Tensor) -> Tensor { x.scaledBySigmoid(logits(x, gate: g)) }
}

/// Attention U-Net (Oktay et al. 2018, "Attention U-Net: learning where to look for the pancreas"), 2D or 3D:
/// `[N, Cin, *spatial]` → logits `[N, classes, *spatial]`.
///
/// The U-Net of this kit (`UNet`: DoubleConv stages, 2x max-pool, `spec.upsampling` decoder, 1-wide head) with an
/// additive attention gate on every skip connection: the gate takes the up-sampled decoder features as gating signal
/// (at the skip's resolution, as MONAI's `AttentionUnet`; the paper computes it at the coarser scale and resamples the
/// coefficients trilinearly), inner channels half the skip's, and the gated skip is concatenated with the up-sampled
/// features. Channels `base·2^i` per stage.
///
/// State dict names (`scripts/reference/zoo_reference.py` `AttentionUNet`): `inc`, `down.i`, `upc.i`, `att.i.{wg,wx,psi}`,
/// `dec.i` (deepest first), `head`.
public final class AttentionUNet: Module, SpecifiedNetwork {
    public let spec: NetworkSpec
    let inc: DoubleConv, down: [DoubleConv], upc: [Module], att: [AttentionGate], dec: [DoubleConv]
    let head: Conv

    /// Builds the network for a valid `spec` with weights from `seed`.
    public init(_ spec: NetworkSpec, seed: UInt64 = 0) {
        self.spec = spec
        var rng = RNG(seed: seed)
        let d = spec.dims, L = spec.depth
        let ch = (0...L).map { spec.base << $0 }
        func p(_ role: DropoutSite.Role, _ i: Int) -> Float { spec.dropout.probability(at: DropoutSite(role, depthFraction: Double(i) / Double(max(L, 1)))) }
        let dropSeed = seed &* 0x9E37_79B9 &+ 1
        inc = DoubleConv(spec.inChannels, ch[0], dims: d, norm: spec.norm, dropout: p(.encoder, 0), dropoutSeed: dropSeed, rng: &rng)
        down = (0..<L).map { i in
            DoubleConv(ch[i], ch[i + 1], dims: d, norm: spec.norm, dropout: p(.encoder, i + 1), dropoutSeed: dropSeed &+ UInt64(i + 1), rng: &rng)
        }
        var u: [Module] = [], a: [AttentionGate] = [], c: [DoubleConv] = []
        for (k, i) in (0..<L).reversed().enumerated() {
            u.append(upsamplingLayer(spec.upsampling, ch[i + 1], ch[i], dims: d, rng: &rng))
            a.append(AttentionGate(gate: ch[i], skip: ch[i], inner: max(ch[i] / 2, 1), dims: d, norm: spec.norm, rng: &rng))
            c.append(DoubleConv(2 * ch[i], ch[i], dims: d, norm: spec.norm, dropout: p(.decoder, i), dropoutSeed: dropSeed &+ UInt64(100 + k), rng: &rng))
        }
        upc = u; att = a; dec = c
        head = Conv(ch[0], spec.classes, kernel: 1, dims: d, rng: &rng)
        super.init()
        registerModule("inc", inc)
        registerModule("down", ModuleList(down))
        registerModule("upc", ModuleList(upc))
        registerModule("att", ModuleList(att))
        registerModule("dec", ModuleList(dec))
        registerModule("head", head)
    }

    /// Logits `[N, classes, *spatial]` for `x` `[N, Cin, *spatial]` (sizes divisible by 2^depth).
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        checkInput(x, network: "attention-unet")
        let two = cube(2, spec.dims)
        var skips = [inc(x)]
        for block in down {
            guard let last = skips.last else { break }
            skips.append(block(last.maxPool(kernel: two, stride: two)))
        }
        var y = skips.removeLast()
        for ((up, gate), block) in zip(zip(upc, att), dec) {
            let g = upsample(y, up, spec.upsampling)
            let skip = skips.removeLast()
            y = block(Tensor.concat([gate(skip, gate: g), g], axis: 1))
        }
        return head(y)
    }

    /// `attention-unet`: registry entry (paper width 16 in 3D; Oktay's code uses feature scale 4 of 64).
    public static let registryEntry = NetworkEntry(
        name: "attention-unet", summary: "Attention U-Net (Oktay 2018): U-Net with additive attention gates on the skips",
        paperBase: 16,
        problems: { spec in spec.depth < 1 || spec.depth > 8 ? ["attention-unet depth must be in 1...8, got \(spec.depth)"] : [] },
        divisor: { 1 << $0.depth },
        build: { spec, seed in AttentionUNet(spec, seed: seed) })
}
