/// Typed, validated options for a strategy, from `--opt key=value` flags or a config file's `strategy_options`.
///
/// A strategy reads each option once with a default and a valid range; after `init` the trainer calls
/// `finish()`, which rejects keys nobody read (typos) — every problem is reported at once.
public final class StrategyOptions {
    private let raw: [String: String]
    private var used = Set<String>()
    private var problems: [String] = []
    /// The strategy these options are for (used in messages).
    public let owner: String

    /// Wraps raw key/value strings for strategy `owner`.
    public init(_ raw: [String: String] = [:], owner: String = "strategy") {
        self.raw = raw
        self.owner = owner
    }

    /// Parses `key=value` pairs (from repeated `--opt` flags).
    public static func parse(_ pairs: [String], owner: String) throws -> StrategyOptions {
        var d: [String: String] = [:]
        var bad: [String] = []
        for p in pairs {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else { bad.append("'\(p)' is not key=value"); continue }
            let k = String(p[..<eq]), v = String(p[p.index(after: eq)...])
            if d[k] != nil { bad.append("option '\(k)' given twice") }
            d[k] = v
        }
        if !bad.isEmpty { throw ConfigError(problems: bad.map { "\(owner): \($0)" }) }
        return StrategyOptions(d, owner: owner)
    }

    /// A floating-point option in `range` (inclusive).
    public func double(_ key: String, default def: Double, in range: ClosedRange<Double>) -> Double {
        used.insert(key)
        guard let s = raw[key] else { return def }
        guard let v = Double(s), v.isFinite else { problems.append("\(owner): option '\(key)' must be a number, got '\(s)'"); return def }
        guard range.contains(v) else { problems.append("\(owner): option '\(key)' must be in \(range.lowerBound)...\(range.upperBound), got \(v)"); return def }
        return v
    }

    /// An integer option in `range` (inclusive).
    public func int(_ key: String, default def: Int, in range: ClosedRange<Int>) -> Int {
        used.insert(key)
        guard let s = raw[key] else { return def }
        guard let v = Int(s) else { problems.append("\(owner): option '\(key)' must be an integer, got '\(s)'"); return def }
        guard range.contains(v) else { problems.append("\(owner): option '\(key)' must be in \(range.lowerBound)...\(range.upperBound), got \(v)"); return def }
        return v
    }

    /// A boolean option (`true/false/1/0/yes/no`).
    public func bool(_ key: String, default def: Bool) -> Bool {
        used.insert(key)
        guard let s = raw[key]?.lowercased() else { return def }
        switch s {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: problems.append("\(owner): option '\(key)' must be true or false, got '\(s)'"); return def
        }
    }

    /// One of a fixed set of strings.
    public func choice(_ key: String, default def: String, from choices: [String]) -> String {
        used.insert(key)
        guard let s = raw[key] else { return def }
        guard choices.contains(s) else { problems.append("\(owner): option '\(key)' must be one of \(choices.joined(separator: ", ")), got '\(s)'"); return def }
        return s
    }

    /// A closed choice read as its enum: `key` must be one of `E.allCases`' raw values (else a problem naming them).
    public func choice<E: RawRepresentable & CaseIterable>(_ key: String, default def: E) -> E where E.RawValue == String {
        E(rawValue: choice(key, default: def.rawValue, from: E.allCases.map(\.rawValue))) ?? def
    }

    /// A free-form string (paths, lists).
    public func string(_ key: String, default def: String?) -> String? {
        used.insert(key)
        return raw[key] ?? def
    }

    /// Records a problem found by the strategy's own cross-option checks.
    public func fail(_ message: String) { problems.append("\(owner): \(message)") }

    /// Throws a `ConfigError` listing every invalid value and every unknown key.
    public func finish() throws {
        let unknown = raw.keys.filter { !used.contains($0) }.sorted()
        var all = problems
        for k in unknown {
            all.append("\(owner): unknown option '\(k)'" + (used.isEmpty ? " (this strategy takes no options)" : " (known: \(used.sorted().joined(separator: ", ")))"))
        }
        if !all.isEmpty { throw ConfigError(problems: all) }
    }

    /// The raw values, for saving in the run's config.
    public var values: [String: String] { raw }
}
