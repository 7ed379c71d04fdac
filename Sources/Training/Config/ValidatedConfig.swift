import Foundation

/// A `TrainConfig` whose values passed `problems()`: made once where a configuration enters (the CLI's flags and
/// `--config` file, `Comparison.prepare`, a run folder's `config.json`), and taken by the layers below it
/// (`RunPipeline.run`, `ModelDims.resolve`, `Trainer`) without checking again (docs/ARCHITECTURE.md §2, "Validation").
///
/// Every setting reads through (`validated.epochs`); only the fields `problems()` never looks at can be set
/// (`strategy`, `strategyOptions` — checked by the strategy's `StrategyOptions` —, `seed`, `splitSeed`, `split`,
/// `data`, `out`). A change to a checked value goes through a method that checks what it changes (`resolveModel`,
/// `setClasses`), or through `TrainConfig` and a new `ValidatedConfig`.
@dynamicMemberLookup
public struct ValidatedConfig: Sendable, Equatable {
    /// The configuration (valid).
    public private(set) var config: TrainConfig

    /// Checks `config` once.
    /// - Throws: `ConfigError` with every problem of `config.problems()`.
    public init(_ config: TrainConfig) throws {
        let p = config.problems()
        guard p.isEmpty else { throw ConfigError(problems: p) }
        self.config = config
    }

    public subscript<T>(dynamicMember key: KeyPath<TrainConfig, T>) -> T { config[keyPath: key] }

    // MARK: Fields `problems()` does not check

    public var strategy: String { get { config.strategy } set { config.strategy = newValue } }
    public var strategyOptions: [String: String] { get { config.strategyOptions } set { config.strategyOptions = newValue } }
    public var seed: UInt64 { get { config.seed } set { config.seed = newValue } }
    public var splitSeed: UInt64? { get { config.splitSeed } set { config.splitSeed = newValue } }
    public var split: String? { get { config.split } set { config.split = newValue } }
    public var data: String { get { config.data } set { config.data = newValue } }
    public var out: String { get { config.out } set { config.out = newValue } }

    // MARK: Checked changes

    /// Fixes the model's rank once the data is known (`TrainConfig.resolveModel`), then checks the resolved config:
    /// first `against` (the caller's checks of the model against the data, `ModelDims`), then, when those pass, what
    /// depends on the network and was skipped or assumed before (the patch against its input divisor and rank).
    /// - Throws: `ConfigError` with those problems; `self` is unchanged then.
    public mutating func resolveModel(dims: Int, against check: (TrainConfig) -> [String] = { _ in [] }) throws {
        var c = config
        c.resolveModel(dims: dims)
        var p = check(c)
        if p.isEmpty { p = c.patchModelProblems() }
        guard p.isEmpty else { throw ConfigError(problems: p) }
        config = c
    }

    /// The classes the data has (dataset.json's labels, background included).
    /// - Throws: `ConfigError` for fewer than 2.
    public mutating func setClasses(_ classes: Int) throws {
        guard classes >= 2 else { throw ConfigError(problems: ["classes must be >= 2, got \(classes)"]) }
        config.classes = classes
    }
}
