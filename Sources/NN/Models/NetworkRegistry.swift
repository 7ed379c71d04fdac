import Engine

/// One registered network: how to check a spec for it, its input divisor, and how to build it.
///
/// A network file declares `static let registryEntry = NetworkEntry(...)` and adds one line to
/// `NetworkRegistry.entries` (docs/ARCHITECTURE.md §5).
public struct NetworkEntry: Sendable {
    /// Registry name (`--model NAME`), lower-case with dashes.
    public let name: String
    /// One line for `semiseg models`.
    public let summary: String
    /// Spatial ranks it can be built in.
    public let dims: [Int]
    /// Older model names that mean this network at a fixed rank (e.g. "unet2d" -> 2); a run folder keeps them.
    public let aliases: [String: Int]
    /// Width the paper used (what `semiseg models` counts parameters at).
    public let paperBase: Int
    /// Keys of `NetworkSpec.options` it reads, with one line each (unknown keys are refused).
    public let options: [String: String]
    /// Problems specific to this network (options, depth limits); the registry checks the common fields.
    public let problems: @Sendable (NetworkSpec) -> [String]
    /// Per-axis input divisor for a valid spec.
    public let divisor: @Sendable (NetworkSpec) -> Int
    /// Builds the network with weights drawn from `seed` (the spec must be valid: `NetworkRegistry.problems` empty).
    public let build: @Sendable (NetworkSpec, UInt64) -> any SegmentationNetwork

    public init(name: String, summary: String, dims: [Int] = [2, 3], aliases: [String: Int] = [:], paperBase: Int,
                options: [String: String] = [:], problems: @escaping @Sendable (NetworkSpec) -> [String] = { _ in [] },
                divisor: @escaping @Sendable (NetworkSpec) -> Int,
                build: @escaping @Sendable (NetworkSpec, UInt64) -> any SegmentationNetwork) {
        self.name = name; self.summary = summary; self.dims = dims; self.aliases = aliases; self.paperBase = paperBase
        self.options = options; self.problems = problems; self.divisor = divisor; self.build = build
    }
}

/// The networks `--model` can name (listed by `semiseg models`). The only place that lists concrete networks.
public enum NetworkRegistry {
    /// Every network, in listing order (one line per network).
    public static let entries: [NetworkEntry] = [
        UNet.registryEntry,
        VNet.registryEntry,
        AttentionUNet.registryEntry,
        UNetPlusPlus.registryEntry,
        DeepLabV3.registryEntry,
        DeepLabV3Plus.registryEntry,
        DilatedFCN.registryEntry,
        SegNet.registryEntry,
    ]

    /// Benchmark presets by name (`semiseg bench --net unet3d-s8`, docs/ARCHITECTURE.md §9).
    public static var benchmarkPresets: [String: NetworkSpec] { UNet.benchmarkSpecs }

    /// The network a run uses when none is named.
    public static var defaultEntry: NetworkEntry { entries[0] }

    /// The entry called `name` (or having it as an alias), with the rank the alias fixes.
    public static func lookup(_ name: String) -> (entry: NetworkEntry, aliasDims: Int?)? {
        for e in entries {
            if e.name == name { return (e, nil) }
            if let d = e.aliases[name] { return (e, d) }
        }
        return nil
    }

    /// The names `--model` accepts (registry names, then aliases).
    public static var names: [String] { entries.map(\.name) + entries.flatMap { $0.aliases.keys.sorted() } }

    /// The name a run folder stores for `name` at rank `dims`: an alias that fixes that rank when the network has
    /// one (so folders of earlier versions and new ones agree, e.g. "unet2d"), else the registry name.
    public static func storedName(_ name: String, dims: Int) -> String {
        guard let (e, _) = lookup(name) else { return name }
        return e.aliases.first { $0.value == dims }?.key ?? e.name
    }

    /// Every problem with `spec` (empty = it can be built): unknown name, unsupported rank, common ranges, unknown
    /// option keys and the network's own checks.
    public static func problems(_ spec: NetworkSpec) -> [String] {
        guard let (e, _) = lookup(spec.name) else {
            return ["model must be one of \(entries.map(\.name).joined(separator: ", ")), got '\(spec.name)'"]
        }
        var p: [String] = []
        if !e.dims.contains(spec.dims) { p.append("\(e.name) is built in \(e.dims.map { "\($0)D" }.joined(separator: " or ")), not \(spec.dims)D") }
        if spec.inChannels < 1 { p.append("inChannels must be positive, got \(spec.inChannels)") }
        if spec.classes < 2 { p.append("classes must be at least 2, got \(spec.classes)") }
        if spec.base < 1 { p.append("base must be positive, got \(spec.base)") }
        p += spec.dropout.problems
        let unknown = spec.options.keys.filter { e.options[$0] == nil }.sorted()
        if !unknown.isEmpty {
            let known = e.options.keys.sorted()
            p.append("\(e.name) has no option \(unknown.joined(separator: ", "))" + (known.isEmpty ? " (it takes none)" : " (options: \(known.joined(separator: ", ")))"))
        }
        if p.isEmpty { p += e.problems(spec) }
        return p
    }

    /// The per-axis input divisor of a valid `spec`.
    public static func divisor(_ spec: NetworkSpec) -> Int {
        guard let (e, _) = lookup(spec.name) else { preconditionFailure("NetworkRegistry: unknown network '\(spec.name)'") }
        return e.divisor(spec)
    }

    /// Builds `spec` with weights from `seed`; traps on an invalid spec (check `problems` first for user input).
    public static func build(_ spec: NetworkSpec, seed: UInt64 = 0) -> any SegmentationNetwork {
        let p = problems(spec)
        precondition(p.isEmpty, "NetworkRegistry: invalid network spec: \(p.joined(separator: "; "))")
        guard let (e, _) = lookup(spec.name) else { preconditionFailure("unreachable") }
        return e.build(spec, seed)
    }
}
