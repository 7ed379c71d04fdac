import Training

/// The uncertainty maps figures know how to draw: the predictive entropy every prediction carries, the maps of the
/// core's `EnsembleCombiner`, and those the strategies declare (`Strategy.uncertaintyMaps`, passed in by the CLI,
/// which knows the plugins: docs/ARCHITECTURE.md §4). A map nobody declared is drawn over its own maximum with its
/// key as caption.
public struct MapCatalogue: Sendable {
    /// Known maps in panel order; the first declaration of a name wins.
    public let maps: [UncertaintyMap]

    /// `declared`: the strategies' maps (e.g. `registeredStrategies.flatMap { $0.uncertaintyMaps }`).
    public init(declared: [UncertaintyMap] = []) {
        var seen = Set<String>(), list: [UncertaintyMap] = []
        for m in [UncertaintyMap.entropy] + declared + EnsembleCombiner.uncertaintyMaps where seen.insert(m.name).inserted { list.append(m) }
        maps = list
    }

    /// The declaration of `name`, nil when unknown.
    public func map(named name: String) -> UncertaintyMap? { maps.first { $0.name == name } }

    /// Panel caption and colour-bar label of a map.
    public func caption(_ name: String) -> (caption: String, bar: String) {
        map(named: name).map { ($0.caption, $0.unit) } ?? (name.replacingOccurrences(of: "_", with: " "), name)
    }

    /// Whether a map is in nats over the fixed range 0...ln K.
    public func isNats(_ name: String) -> Bool { map(named: name)?.scale == .nats }

    /// Whether a map counts sampled foreground masks (drawn in its own figure, not with the heat maps).
    public func isSampleCount(_ name: String) -> Bool {
        if case .sampleCount = map(named: name)?.scale { return true }
        return false
    }

    /// The heat-map keys of `present` in panel order: the known ones first, then the rest sorted; sample counts left out.
    public func heatMapOrder(_ present: some Collection<String>) -> [String] {
        let known = maps.map(\.name).filter { present.contains($0) }
        return (known + present.filter { map(named: $0) == nil }.sorted()).filter { !isSampleCount($0) }
    }
}
