import Foundation
import NN
import Training

/// What a comparison runs: every strategy on the same split, model, budget and seeds (`RUN/compare.json`).
///
/// `base` holds every shared `TrainConfig` field; its `out` is the comparison folder, and its `strategy`,
/// `strategyOptions` and `seed` are placeholders (`"supervised"`, empty, the first seed) — each cell sets its own.
public struct CompareSettings: Codable, Equatable, Sendable {
    /// Strategy registry names, in report order.
    public var strategies: [String]
    /// Seeds; each varies model initialisation, data order and augmentation, never the split.
    public var seeds: [UInt64]
    /// Per-strategy options (`--opt uda:weight=0.5` gives `["uda": ["weight": "0.5"]]`).
    public var strategyOptions: [String: [String: String]]
    /// The shared run configuration.
    public var base: TrainConfig

    private enum CodingKeys: String, CodingKey {
        case strategies, seeds, strategyOptions = "strategy_options", base
    }

    /// Normalises `base` (placeholder strategy, no strategy options, first seed) so equal studies compare equal.
    public init(strategies: [String], seeds: [UInt64], strategyOptions: [String: [String: String]] = [:], base: TrainConfig) {
        self.strategies = strategies
        self.seeds = seeds
        self.strategyOptions = strategyOptions.filter { !$0.value.isEmpty }
        var b = base
        b.strategy = "supervised"
        b.strategyOptions = [:]
        b.seed = seeds.first ?? 0
        self.base = b
    }

    /// The comparison folder.
    public var runDirectory: URL { URL(fileURLWithPath: base.out) }

    /// Every problem with the lists and the shared config (empty = valid); `known` = registered strategy names.
    public func problems(knownStrategies known: [String]) -> [String] {
        listProblems(knownStrategies: known) + base.problems()
    }

    /// The problems of the strategy and seed lists and the options only (`Comparison.prepare` checks `base` by making
    /// its `ValidatedConfig`).
    public func listProblems(knownStrategies known: [String]) -> [String] {
        var p: [String] = []
        if strategies.isEmpty { p.append("--strategies: no strategy given") }
        for s in strategies where !known.contains(s) {
            p.append("--strategies: unknown strategy '\(s)' (known: \(known.joined(separator: ", ")))")
        }
        let dupS = Dictionary(grouping: strategies, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        if !dupS.isEmpty { p.append("--strategies: listed twice: \(dupS.joined(separator: ", "))") }
        if seeds.isEmpty { p.append("--seeds: no seed given") }
        let dupSeeds = Dictionary(grouping: seeds, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        if !dupSeeds.isEmpty { p.append("--seeds: listed twice: \(dupSeeds.map(String.init).joined(separator: ", "))") }
        for s in strategyOptions.keys.sorted() where !strategies.contains(s) {
            p.append("--opt: options for '\(s)', which is not in --strategies")
        }
        return p
    }

    /// The folder name of one cell: `<strategy>-seed<S>`.
    public static func cellName(strategy: String, seed: UInt64) -> String { "\(strategy)-seed\(seed)" }

    /// The configuration of one cell: the base with its strategy, options, seed, the shared split file and its folder.
    public func cellConfig(strategy: String, seed: UInt64) -> TrainConfig {
        var c = base
        c.strategy = strategy
        c.strategyOptions = strategyOptions[strategy] ?? [:]
        c.seed = seed
        // Paths stay as written (relative stays relative), like `TrainConfig` paths.
        var root = base.out
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        c.split = root + "/split.json"
        c.out = root + "/cells/" + Self.cellName(strategy: strategy, seed: seed)
        return c
    }

    /// Parses `0,1,2` (non-negative integers).
    public static func parseSeeds(_ text: String) throws -> [UInt64] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.map { UInt64($0) }
        guard !parts.isEmpty, !values.contains(nil) else {
            throw ConfigError(problems: ["--seeds must be comma-separated non-negative integers, got '\(text)'"])
        }
        return values.compactMap { $0 }
    }

    /// Parses `uda:weight=0.5` flags into per-strategy options (each key once per strategy).
    public static func parseOptions(_ flags: [String]) throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:], bad: [String] = []
        for f in flags {
            guard let colon = f.firstIndex(of: ":"), colon != f.startIndex else {
                bad.append("--opt '\(f)' must be strategy:key=value (e.g. uda:weight=0.5)"); continue
            }
            let name = String(f[..<colon]), kv = String(f[f.index(after: colon)...])
            guard let eq = kv.firstIndex(of: "="), eq != kv.startIndex else {
                bad.append("--opt '\(f)' must be strategy:key=value (e.g. uda:weight=0.5)"); continue
            }
            let k = String(kv[..<eq]), v = String(kv[kv.index(after: eq)...])
            if out[name]?[k] != nil { bad.append("--opt: \(name) option '\(k)' given twice") }
            out[name, default: [:]][k] = v
        }
        if !bad.isEmpty { throw ConfigError(problems: bad) }
        return out
    }

    /// `cellConfig` from the already checked shared config: a cell changes only fields `problems()` does not check
    /// (strategy, its options, seed, split file, folder), so it is not checked again.
    public func cellConfig(strategy: String, seed: UInt64, base validated: ValidatedConfig) -> ValidatedConfig {
        let c = cellConfig(strategy: strategy, seed: seed)
        var v = validated
        v.strategy = c.strategy; v.strategyOptions = c.strategyOptions; v.seed = c.seed; v.split = c.split; v.out = c.out
        return v
    }

    // MARK: JSON

    /// Reads `RUN/compare.json`.
    /// `base` is decoded over the defaults (`TrainConfig.decode(overDefaults:)`), so a folder written before a setting
    /// existed still opens.
    public static func load(_ url: URL) throws -> CompareSettings {
        do {
            let bytes = try FileBytes.read(url, maxBytes: 64 << 20)
            guard var object = try JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
                throw TrainingError("\(url.path): not a readable comparison settings file (not a JSON object)")
            }
            if let base = object["base"] as? [String: Any] {
                let config = try TrainConfig.decode(overDefaults: base)
                object["base"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config))
            }
            return try JSONDecoder().decode(CompareSettings.self, from: JSONSerialization.data(withJSONObject: object))
        } catch let e as TrainingError {
            throw e
        } catch let e as FileBytes.Failure {
            throw TrainingError("\(url.path): not a readable comparison settings file (\(e))")
        } catch {
            throw TrainingError("\(url.path): not a readable comparison settings file (\(error.localizedDescription))")
        }
    }

    /// Writes pretty JSON with sorted keys, atomically.
    public func save(_ url: URL) throws {
        let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try e.encode(self), to: url)
    }
}
