import Foundation
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
        let path = url.path
        let bytes: Data
        do { bytes = try Data(contentsOf: url) } catch { throw ConfigError(problems: ["\(path): cannot read config file"]) }
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
        let config: TrainConfig
        do {
            let re = try JSONSerialization.data(withJSONObject: normalized)
            config = try JSONDecoder().decode(TrainConfig.self, from: re)
        } catch {
            throw ConfigError(problems: [describe(error, object: normalized, spelling: spelling, at: at, path: path)])
        }
        let p = config.problems()
        if !p.isEmpty { throw ConfigError(problems: p.map { "\(path): \($0)" }) }
        return config
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
            let value: Any?
            do {
                node = try Yams.compose(yaml: text)
                value = try Yams.load(yaml: text)
            } catch {
                throw ConfigError(problems: ["\(path): not valid YAML (\(String(describing: error).split(separator: "\n").joined(separator: " ")))"])
            }
            guard let mapping = node?.mapping, let obj = value as? [String: Any] else {
                throw ConfigError(problems: ["\(path): not a YAML mapping of keys to values"])
            }
            var lines: [String: Int] = [:]
            for (k, _) in mapping { if let s = k.string, let m = k.mark { lines[s] = m.line } }
            return (obj.mapValues(jsonCompatible), lines)
        }
    }

    /// YAML values as `JSONSerialization` takes them (null as `NSNull`, dates as strings).
    static func jsonCompatible(_ v: Any) -> Any {
        switch v {
        case let d as [String: Any]: return d.mapValues(jsonCompatible)
        case let a as [Any]: return a.map(jsonCompatible)
        case is String, is Int, is Double, is Bool, is NSNull: return v
        case let d as Date: return ISO8601DateFormatter().string(from: d)
        default: return "\(v)"
        }
    }

    /// The line of `"key":` in JSON text (first occurrence), nil when not found.
    static func jsonLine(of key: String, in text: String) -> Int? {
        let escaped = NSRegularExpression.escapedPattern(for: key)
        guard let re = try? NSRegularExpression(pattern: "\"\(escaped)\"\\s*:"),
              let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let r = Range(m.range, in: text) else { return nil }
        return text[..<r.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
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
