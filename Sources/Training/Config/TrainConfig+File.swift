import Foundation
import NN
import Yams

/// Reading `--config FILE`: JSON (`.json`) or YAML (`.yaml`, `.yml`), same keys (the `TrainConfig` property names,
/// snake_case accepted). Every problem names the file, the key and, where known, its line.
extension TrainConfig {
    /// The syntax of a config file, chosen by its extension.
    public enum FileFormat: String, Codable, CaseIterable, Sendable {
        case json, yaml

        /// `.yaml` / `.yml` are YAML, everything else JSON.
        public init(url: URL) { self = ["yaml", "yml"].contains(url.pathExtension.lowercased()) ? .yaml : .json }
    }

    /// Reads a config file. Unknown keys are errors (typos must not pass silently), with the key's line. `data` and
    /// `out`, when given (the `--data` / `--out` flags), override the file's and need not be in it. Paths stay as
    /// written. Type errors name the key, the expected type, the value found and the file.
    public static func load(_ url: URL, data dataOverride: String? = nil, out outOverride: String? = nil) throws -> TrainConfig {
        try loadValidated(url, data: dataOverride, out: outOverride).config
    }

    /// `load` as the `ValidatedConfig` the layers below take (a run folder's `config.json` for `predict`, `TrainedRun`).
    /// - Throws: `ConfigError` as `read` does, or with every value problem (`problems()`) prefixed by the file's path.
    public static func loadValidated(_ url: URL, data dataOverride: String? = nil, out outOverride: String? = nil) throws -> ValidatedConfig {
        let config = try read(url, data: dataOverride, out: outOverride)
        do { return try ValidatedConfig(config) } catch let e as ConfigError { throw ConfigError(problems: e.problems.map { "\(url.path): \($0)" }) }
    }

    /// Reads and decodes a config file without checking its values (`problems()`): for a caller that changes the
    /// config (the CLI's flags) and makes its one `ValidatedConfig` afterwards. Errors as `load`'s, values aside.
    public static func read(_ url: URL, data dataOverride: String? = nil, out outOverride: String? = nil) throws -> TrainConfig {
        let path = url.path
        let bytes: Data
        do { bytes = try FileBytes.read(url, maxBytes: 64 << 20) } catch { throw ConfigError(problems: ["\(path): cannot read config file (\(error))"]) }
        let format = FileFormat(url: url)
        let (object, lines) = try parse(bytes, format: format, path: path)
        func at(_ key: String) -> String { lines[key].map { "\(path):\($0)" } ?? path }

        let known = Set(Mirror(reflecting: TrainConfig(data: "", out: "")).children.compactMap { $0.label })
        var normalized: [String: Any] = [:], spelling: [String: String] = [:]
        var problems: [String] = []
        for (k, v) in object.sorted(by: { (lines[$0.key] ?? 0, $0.key) < (lines[$1.key] ?? 0, $1.key) }) {
            let c = camel(k)
            guard known.contains(c) else {
                let hint = closest(c, in: known).map { " (did you mean '\($0)'?)" } ?? ""
                problems.append("\(at(k)): unknown key '\(k)'\(hint)")
                continue
            }
            if let other = spelling[c] { problems.append("\(at(k)): key '\(k)' repeats '\(other)'"); continue }
            normalized[c] = v; spelling[c] = k
        }
        // Strategy options are strings (as on the command line); YAML writes `weight: 0.5` as a number.
        if let opts = normalized["strategyOptions"] as? [String: Any] {
            normalized["strategyOptions"] = opts.mapValues { v -> Any in v is String || v is [Any] || v is [String: Any] || v is NSNull ? v : String(describing: v) }
        }
        if let d = dataOverride { normalized["data"] = d; spelling["data"] = "data" }
        if let o = outOverride { normalized["out"] = o; spelling["out"] = "out" }
        for (k, flag) in [("data", "--data"), ("out", "--out")] where normalized[k] == nil || normalized[k] is NSNull {
            problems.append("\(path): missing key '\(k)' (give it in the file or as \(flag))")
        }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        do {
            return try decode(overDefaults: normalized)
        } catch {
            throw ConfigError(problems: [describe(error, object: normalized, spelling: spelling, at: at, path: path)])
        }
    }

    /// Decodes a config object (camelCase keys, JSON-compatible values) over the defaults of `TrainConfig(data:out:)`:
    /// a key that is absent, or null for a setting that has a default, keeps the default; only `data` and `out` are
    /// required. No key list is written by hand: the defaults come from encoding a default config, and the decoding is
    /// the compiler's (so a new field is decoded as soon as it exists, and `load` knows it as a key).
    public static func decode(overDefaults object: [String: Any]) throws -> TrainConfig {
        let defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrainConfig(data: "", out: ""))) as? [String: Any] ?? [:]
        var merged = defaults.filter { $0.key != "data" && $0.key != "out" }
        for (k, v) in object where !(v is NSNull && merged[k] != nil) { merged[k] = v }
        return try JSONDecoder().decode(TrainConfig.self, from: JSONSerialization.data(withJSONObject: merged))
    }

    /// The top-level mapping and the 1-based line of each key.
    static func parse(_ bytes: Data, format: FileFormat, path: String) throws -> (object: [String: Any], lines: [String: Int]) {
        guard let text = String(data: bytes, encoding: .utf8) else { throw ConfigError(problems: ["\(path): not UTF-8 text"]) }
        switch format {
        case .json:
            let parsed: Any
            do { parsed = try JSONSerialization.jsonObject(with: bytes) } catch {
                throw ConfigError(problems: ["\(path): not valid JSON (\(error.localizedDescription))"])
            }
            guard let obj = parsed as? [String: Any] else { throw ConfigError(problems: ["\(path): not a JSON object"]) }
            var lines: [String: Int] = [:]
            for k in obj.keys { lines[k] = jsonLine(of: k, in: text) }
            return (obj, lines)
        case .yaml:
            let node: Node?
            do {
                node = try Yams.compose(yaml: text)
            } catch {
                throw ConfigError(problems: ["\(path): not valid YAML (\(String(describing: error).split(separator: "\n").joined(separator: " ")))"])
            }
            // Our own walk of the node tree, not Yams.load (which traps on non-string keys): YAMLTree.swift.
            guard let root = node, let mapping = root.mapping, let obj = try YAMLTree.value(of: root, path: path) as? [String: Any] else {
                throw ConfigError(problems: ["\(path): not a YAML mapping of keys to values"])
            }
            var lines: [String: Int] = [:]
            for (k, _) in mapping { if case .scalar(let s) = k, let m = k.mark { lines[s.string] = m.line } }
            return (obj, lines)
        }
    }

    /// The line of `"key":` in JSON text (first occurrence), nil when not found.
    /// A plain search, no NSRegularExpression: creating one leaked on Linux for some keys (LeakSanitizer, config fuzzer:
    /// Fuzz/regressions/config/leak-regex-*).
    static func jsonLine(of key: String, in text: String) -> Int? {
        let needle = Array("\"\(key)\"".utf8), bytes = Array(text.utf8)
        guard !needle.isEmpty, bytes.count >= needle.count else { return nil }
        var i = 0
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle {
                var j = i + needle.count
                while j < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[j]) { j += 1 }
                if j < bytes.count, bytes[j] == UInt8(ascii: ":") { return bytes[..<i].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 } }
            }
            i += 1
        }
        return nil
    }

    /// A known key within edit distance 2 of `key` (case-insensitive), for "did you mean".
    static func closest(_ key: String, in known: Set<String>) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var prev = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var cur = [i] + [Int](repeating: 0, count: b.count)
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                prev = cur
            }
            return prev[b.count]
        }
        let k = Array(key.lowercased())
        let scored = known.map { ($0, distance(k, Array($0.lowercased()))) }.filter { $0.1 <= 2 }
        return scored.min { ($0.1, $0.0) < ($1.1, $1.0) }?.0
    }

    /// A decoding error as "FILE:LINE: key 'epochs' must be an integer, got the string "20"".
    static func describe(_ error: Error, object: [String: Any], spelling: [String: String], at: (String) -> String, path: String) -> String {
        func keyPath(_ c: DecodingError.Context) -> (shown: String, top: String?) {
            let keys = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            let top = keys.first.map { spelling[$0] ?? $0 }
            let shown = ([top].compactMap { $0 } + keys.dropFirst()).joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            return (shown, top)
        }
        func found(_ c: DecodingError.Context) -> String {
            var v: Any? = object
            for k in c.codingPath {
                if let i = k.intValue, let a = v as? [Any] { v = i < a.count ? a[i] : nil }
                else if let d = v as? [String: Any] { v = d[k.stringValue] }
                else { v = nil }
            }
            return v.map(describeValue) ?? "nothing"
        }
        switch error {
        case DecodingError.typeMismatch(let type, let c), DecodingError.valueNotFound(let type, let c):
            let (shown, top) = keyPath(c)
            return "\(top.map(at) ?? path): key '\(shown)' must be \(typeName(type)), got \(found(c))"
        case DecodingError.dataCorrupted(let c) where c.debugDescription.hasPrefix("must be "):
            // A closed choice spelled wrong (ConfigChoice): "FILE:LINE: loss must be ce, dice, dice-ce or topk10, got 'x'".
            let (shown, top) = keyPath(c)
            return "\(top.map(at) ?? path): \(shown) \(c.debugDescription)"
        case DecodingError.dataCorrupted(let c):
            let (shown, top) = keyPath(c)
            return "\(top.map(at) ?? path): key '\(shown)': \(c.debugDescription)"
        case DecodingError.keyNotFound(let k, let c):
            let (shown, top) = keyPath(c)
            return "\(top.map(at) ?? path): missing key '\(shown.isEmpty ? k.stringValue : shown + "." + k.stringValue)'"
        default:
            return "\(path): \(error)"
        }
    }

    /// "an integer", "a number", ... for a Swift type in a decoding error.
    static func typeName(_ type: Any.Type) -> String {
        let t = String(describing: type)
        switch t {
        case "Int", "Int32", "Int64", "UInt64", "UInt32", "UInt": return "an integer"
        case "Double", "Float": return "a number"
        case "String": return "a string"
        case "Bool": return "true or false"
        default:
            if t.hasPrefix("Array") { return "a list" }
            if t.hasPrefix("Dictionary") { return "a mapping of keys to values" }
            return "of type \(t)"
        }
    }

    /// A value as the user wrote it: `the string "20"`, `the number 3.5`, `a list`, ...
    static func describeValue(_ v: Any) -> String {
        switch v {
        case is NSNull: return "null"
        case let s as String: return "the string \"\(s)\""
        case let d as [String: Any]: return "a mapping (\(d.count) keys)"
        case let a as [Any]: return "a list (\(a.count) values)"
        default:
            let text = String(describing: v)
            return text == "true" || text == "false" ? text : "the number \(text)"
        }
    }
}
