/// What a strategy declares about its inference (docs/ARCHITECTURE.md §4), so the core never names a plugin:
/// the options `semiseg predict` may override, and the maps its `predict` writes next to the labels.

/// An inference option of a strategy that `semiseg predict` sets from a flag: `--<flag> N` replaces the strategy
/// option `key` of the run's config (an integer >= `minimum`) before the strategy is built.
public struct PredictOption: Sendable, Equatable {
    /// The long flag without dashes, e.g. `"mc-samples"`.
    public let flag: String
    /// The strategy option it sets, e.g. `"samples"`.
    public let key: String
    /// The smallest value accepted.
    public let minimum: Int

    public init(flag: String, key: String, minimum: Int) {
        self.flag = flag; self.key = key; self.minimum = minimum
    }
}

/// How figures scale a map a strategy's prediction writes (`Prediction.uncertainty` or `.extras`).
public enum UncertaintyScale: Sendable, Equatable {
    /// An entropy-type map in nats: the fixed range 0...ln K.
    case nats
    /// Values relative to the largest one in the figure (e.g. a probability variance).
    case ownMaximum
    /// A count of the T stochastic passes that call a voxel foreground: the range 0...T, T = the run's strategy
    /// option `option`, else `default`. Drawn as its own figure, `<name>_<case>.png`.
    case sampleCount(option: String, default: Int)
}

/// A named map a strategy's `predict` produces, as figures and notebooks describe it: `name` is the key in
/// `Prediction.uncertainty` / `.extras` and the file suffix (`uncertainty/<case>_<name>.nii.gz`), `caption` the panel
/// caption ("mutual information"), `unit` the colour-bar label with the unit ("MI (nats)"), `scale` the value range of
/// the colour scale.
public struct UncertaintyMap: Sendable, Equatable {
    public let name: String, caption: String, unit: String
    public let scale: UncertaintyScale

    public init(name: String, caption: String, unit: String, scale: UncertaintyScale) {
        self.name = name; self.caption = caption; self.unit = unit; self.scale = scale
    }

    /// The predictive entropy every prediction carries (`Prediction.entropy`).
    public static let entropy = UncertaintyMap(name: "entropy", caption: "predictive entropy", unit: "entropy (nats)", scale: .nats)
}
