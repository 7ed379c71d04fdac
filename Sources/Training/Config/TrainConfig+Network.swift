import NN

/// The run's network as a registry spec (docs/ARCHITECTURE.md §5): which network `model` names, its rank, options
/// and input divisor. Core code reaches networks only through `NetworkRegistry` and `SegmentationNetwork`.
extension TrainConfig {
    /// The registry name of `model` ("unet" for "unet2d"); `model` itself when unknown or "auto".
    public var networkName: String { NetworkRegistry.lookup(model)?.entry.name ?? model }

    /// The spec of the run's network before `Strategy.configure(model:)` (`classes` from the config; callers with a
    /// dataset's class count override it).
    public func networkSpec(inChannels: Int) -> NetworkSpec {
        NetworkSpec(name: networkName, dims: dims, inChannels: inChannels, classes: classes, base: base, depth: depth,
                    norm: norm.kind, upsampling: upsampling.kind,
                    options: modelOptions)
    }

    /// Builds the run's network for `spec` (after the strategy configured it) with weights from `seed`.
    public static func makeNetwork(_ spec: NetworkSpec, seed: UInt64) -> any SegmentationNetwork {
        NetworkRegistry.build(spec, seed: seed)
    }

    /// What every input size must be a multiple of per model axis: the network's divisor (2^depth for the U-Net
    /// family); 2^depth while the model is unresolved or invalid.
    public var inputDivisor: Int {
        let spec = networkSpec(inChannels: 1)
        guard model != "auto", NetworkRegistry.problems(spec).isEmpty else { return 1 << depth }
        return NetworkRegistry.divisor(spec)
    }

    /// The divisor explained for messages ("2^depth = 16" when it is that).
    var divisorReason: String {
        inputDivisor == 1 << depth ? "2^depth = \(inputDivisor)" : "the input divisor of \(networkName)"
    }

    /// Problems of `model`, `modelDims` and `modelOptions` (part of `problems()`).
    public func modelProblems() -> [String] {
        if model == "auto" {
            return modelDims.map { $0 == 2 || $0 == 3 ? [] : ["dims must be 2 or 3, got \($0)"] } ?? []
        }
        guard let (entry, aliasDims) = NetworkRegistry.lookup(model) else {
            return ["model must be one of \(NetworkRegistry.names.joined(separator: ", ")) or auto, got '\(model)'"]
        }
        var p: [String] = []
        if let d = modelDims {
            if d != 2 && d != 3 { p.append("dims must be 2 or 3, got \(d)") }
            if let a = aliasDims, a != d { p.append("model \(model) is \(a)D but dims is \(d): use --model \(entry.name) --dims \(d)") }
        }
        if p.isEmpty && (aliasDims != nil || modelDims != nil) {
            p += NetworkRegistry.problems(networkSpec(inChannels: 1)).filter { !$0.hasPrefix("classes") && !$0.hasPrefix("base") && !$0.hasPrefix("depth") }
        }
        return p
    }

    /// Fixes the rank of the model to `dims` and stores it the way run folders keep it: the alias fixing that rank
    /// where one exists ("unet" at 2 -> "unet2d", `modelDims` nil, as earlier versions wrote), else the registry name
    /// with `modelDims`. "auto" becomes the default network.
    public mutating func resolveModel(dims: Int) {
        let name = model == "auto" ? NetworkRegistry.defaultEntry.name : networkName
        let stored = NetworkRegistry.storedName(name, dims: dims)
        model = stored
        modelDims = NetworkRegistry.lookup(stored)?.aliasDims == nil ? dims : nil
    }
}
