import Engine

/// UNet++ (Zhou et al. 2018, "UNet++: a nested U-Net architecture for medical image segmentation"), 2D or 3D:
/// `[N, Cin, *spatial]` → logits `[N, classes, *spatial]`.
///
/// Nodes X(i, j), i = 0...depth down levels, j = 0...depth−i: X(i, 0) is the encoder (DoubleConv after a 2x max-pool);
/// X(i, j) = DoubleConv(concat(X(i, 0), ..., X(i, j−1), Up(X(i+1, j−1)))) with `base·2^i` channels, so the skips are
/// nested and dense. Up is `spec.upsampling` (nearest x2 + conv3, or the paper's transposed conv), one per node.
/// With `deep-supervision=true` (`--model-opt`), 1-wide heads on X(0, 1...depth) are trained together (their losses
/// averaged, `forwardWithAuxiliary`) and inference uses the last head (X(0, depth)); without it one head on X(0, depth).
///
/// State dict names (`scripts/reference/zoo_reference.py` `UNetPlusPlus`): `x{i}_{j}.b.*` (DoubleConv), `up{i}_{j}.*`
/// (into node (i, j)), `heads.k` (k = j − 1; a single head is `heads.0`).
public final class UNetPlusPlus: Module, SpecifiedNetwork {
    public let spec: NetworkSpec
    public let deepSupervision: Bool
    /// nodes[i][j] = X(i, j); ups[i][j] for j >= 1 (index j − 1).
    let nodes: [[DoubleConv]], ups: [[Module]]
    let heads: [Conv]

    /// Builds the network for a valid `spec` with weights from `seed`.
    public init(_ spec: NetworkSpec, seed: UInt64 = 0) {
        self.spec = spec
        deepSupervision = spec.boolOption("deep-supervision", default: false) ?? false
        var rng = RNG(seed: seed)
        let d = spec.dims, L = spec.depth
        let ch = (0...L).map { spec.base << $0 }
        func p(_ role: DropoutSite.Role, _ i: Int) -> Float { spec.dropout.probability(at: DropoutSite(role, depthFraction: Double(i) / Double(max(L, 1)))) }
        let dropSeed = seed &* 0x9E37_79B9 &+ 1
        var n: [[DoubleConv]] = Array(repeating: [], count: L + 1), u: [[Module]] = Array(repeating: [], count: L + 1)
        var names: [(String, Module)] = []
        // Build order: by anti-diagonal (j), as the forward pass visits the nodes: X(0,0)...X(L,0), then X(0,1)..., etc.
        for i in 0...L {
            let cin = i == 0 ? spec.inChannels : ch[i - 1]
            n[i].append(DoubleConv(cin, ch[i], dims: d, norm: spec.norm, dropout: p(.encoder, i), dropoutSeed: dropSeed &+ UInt64(i), rng: &rng))
            names.append(("x\(i)_0", n[i][0]))
        }
        for j in 1...L {
            for i in 0...(L - j) {
                let up = upsamplingLayer(spec.upsampling, ch[i + 1], ch[i], dims: d, rng: &rng)
                u[i].append(up)
                names.append(("up\(i)_\(j)", up))
                let node = DoubleConv((j + 1) * ch[i], ch[i], dims: d, norm: spec.norm, dropout: p(.decoder, i),
                                      dropoutSeed: dropSeed &+ UInt64(100 + 10 * i + j), rng: &rng)
                n[i].append(node)
                names.append(("x\(i)_\(j)", node))
            }
        }
        nodes = n; ups = u
        heads = (deepSupervision ? Array(1...L) : [L]).map { _ in Conv(ch[0], spec.classes, kernel: 1, dims: d, rng: &rng) }
        super.init()
        for (name, m) in names { registerModule(name, m) }
        registerModule("heads", ModuleList(heads))
    }

    /// The full-resolution nodes X(0, 1...depth) for `x`.
    func topRow(_ x: Tensor) -> [Tensor] {
        checkInput(x, network: "unetpp")
        let L = spec.depth, two = cube(2, spec.dims)
        var X: [[Tensor]] = Array(repeating: [], count: L + 1)
        X[0].append(nodes[0][0](x))
        for i in 1...L { X[i].append(nodes[i][0](X[i - 1][0].maxPool(kernel: two, stride: two))) }
        for j in 1...L {
            for i in 0...(L - j) {
                let below = X[i + 1][j - 1]
                let u = upsample(below, ups[i][j - 1], spec.upsampling)
                X[i].append(nodes[i][j](Tensor.concat(X[i] + [u], axis: 1)))
            }
        }
        return Array(X[0].dropFirst())
    }

    /// Logits of the last head (X(0, depth)) `[N, classes, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor {
        guard let last = topRow(x).last, let h = heads.last else { preconditionFailure("unetpp: depth must be >= 1") }
        return h(last)
    }

    /// Main logits (X(0, depth)'s head) and, while training with deep supervision, the heads of X(0, 1...depth−1).
    public func forwardWithAuxiliary(_ x: Tensor) -> (logits: Tensor, auxiliary: [Tensor]) {
        let row = topRow(x)
        guard deepSupervision, training, let last = row.last, let h = heads.last else { return (heads[heads.count - 1](row[row.count - 1]), []) }
        return (h(last), zip(heads.dropLast(), row.dropLast()).map { $0($1) })
    }

    /// `unetpp`: registry entry (paper width 32).
    public static let registryEntry = NetworkEntry(
        name: "unetpp", summary: "UNet++ (Zhou 2018): nested dense skip pathways, optional deep supervision",
        paperBase: 32,
        options: ["deep-supervision": "true/false (default false): heads on every full-resolution node, losses averaged"],
        problems: { spec in
            var p: [String] = []
            if spec.depth < 1 || spec.depth > 6 { p.append("unetpp depth must be in 1...6, got \(spec.depth)") }
            if spec.boolOption("deep-supervision", default: false) == nil {
                p.append("unetpp option deep-supervision must be true or false, got '\(spec.options["deep-supervision"] ?? "")'")
            }
            return p
        },
        divisor: { 1 << $0.depth },
        build: { spec, seed in UNetPlusPlus(spec, seed: seed) })
}
