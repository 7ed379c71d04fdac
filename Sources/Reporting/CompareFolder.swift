import Experiments
import Foundation
import MedIO

/// Read-only view of a `semiseg compare` output folder (docs/ARCHITECTURE.md §7): `compare.json`, `split.json`,
/// `summary.json`, `summary.csv`, and one normal run folder per strategy and seed under `cells/<strategy>-seed<S>/`.
///
/// JSON is read loosely (`JSONSerialization`) so that extra or missing optional keys never break figures.
public struct CompareFolder {
    /// One training run of the comparison.
    public struct Cell {
        public var strategy: String
        public var seed: Int
        public var directory: URL
    }

    /// The comparison folder.
    public let directory: URL
    /// `compare.json` (settings), empty when absent.
    public let settings: [String: Any]
    /// `split.json`, empty when absent.
    public let split: [String: Any]
    /// `summary.json`, empty when absent.
    public let summary: [String: Any]
    /// Strategy names in display order: `compare.json`'s list, else supervised first and the rest sorted.
    public let strategies: [String]
    /// Cells per strategy, sorted by seed.
    public let cells: [String: [Cell]]

    /// Opens `directory`; throws `MedIOError` when it holds neither `summary.json` nor any cell.
    public init(_ directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw MedIOError(directory.path, "no such folder")
        }
        settings = try Self.json(directory.appendingPathComponent("compare.json")) ?? [:]
        summary = try Self.json(directory.appendingPathComponent("summary.json")) ?? [:]
        split = try Self.json(directory.appendingPathComponent("split.json"))
            ?? (summary["split"] as? [String: Any]) ?? [:]
        var cells: [String: [Cell]] = [:]
        let cellRoot = directory.appendingPathComponent("cells")
        for name in ((try? fm.contentsOfDirectory(atPath: cellRoot.path)) ?? []).sorted() {
            guard let r = name.range(of: "-seed", options: .backwards), let seed = Int(name[r.upperBound...]) else { continue }
            let strategy = String(name[..<r.lowerBound])
            cells[strategy, default: []].append(Cell(strategy: strategy, seed: seed, directory: cellRoot.appendingPathComponent(name)))
        }
        self.cells = cells.mapValues { $0.sorted { $0.seed < $1.seed } }
        let summarized = Array(((summary["strategies"] as? [String: Any]) ?? [:]).keys)
        guard !summarized.isEmpty || !cells.isEmpty else {
            throw MedIOError(directory.path, "not a compare folder (no summary.json strategies and no cells/<strategy>-seed<S>/ runs)")
        }
        var listed: [String] = []
        if let l = settings["strategies"] as? [String] { listed = l }
        else if let s = settings["strategies"] as? String { listed = s.split(separator: ",").map { String($0) } }
        let known = Set(summarized).union(cells.keys)
        var order = listed.filter { known.contains($0) }
        let rest = known.subtracting(order).sorted { a, b in a == "supervised" ? true : (b == "supervised" ? false : a < b) }
        order += rest
        strategies = order
    }

    /// Parses a JSON object file; nil when the file does not exist.
    static func json(_ url: URL) throws -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        guard let obj = try? JSONSerialization.jsonObject(with: data), let dict = obj as? [String: Any] else {
            throw MedIOError(url.path, "not a JSON object")
        }
        return dict
    }

    // MARK: - Summary values

    /// `summary.json` block of one strategy.
    public func strategySummary(_ s: String) -> [String: Any] { ((summary["strategies"] as? [String: Any])?[s] as? [String: Any]) ?? [:] }

    /// Foreground-mean Dice of a strategy: mean and std over seeds and the per-seed values (from summary.json,
    /// falling back to the cells' own summary.json files).
    public func foregroundDice(_ s: String) -> (mean: Double?, std: Double?, seeds: [Double]) {
        let block = strategySummary(s)
        let fg = (block["foreground_mean"] as? [String: Any])?["dice"]
        var seeds = ((block["per_seed"] as? [[String: Any]]) ?? []).compactMap { number(($0["foreground_mean"] as? [String: Any])?["dice"]) }
        if seeds.isEmpty { seeds = (cells[s] ?? []).compactMap { cellForegroundDice($0) } }
        var mean = number((fg as? [String: Any])?["mean"]) ?? number(fg)
        var std = number((fg as? [String: Any])?["std"])
        if mean == nil, !seeds.isEmpty { mean = seeds.reduce(0, +) / Double(seeds.count) }
        if std == nil, seeds.count > 1, let m = mean {
            std = (seeds.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(seeds.count - 1)).squareRoot()
        }
        return (mean, std, seeds)
    }

    /// A cell's `summary.json` (RunSummary), empty when absent.
    public func cellSummary(_ c: Cell) -> [String: Any] { (try? Self.json(c.directory.appendingPathComponent("summary.json")) ?? [:]) ?? [:] }

    /// A cell's `config.json`, empty when absent.
    public func cellConfig(_ c: Cell) -> [String: Any] { (try? Self.json(c.directory.appendingPathComponent("config.json")) ?? [:]) ?? [:] }

    /// Test foreground Dice of one cell.
    public func cellForegroundDice(_ c: Cell) -> Double? {
        number((((cellSummary(c)["test"] as? [String: Any])?["foreground_mean"]) as? [String: Any])?["dice"])
    }

    /// Per-case mean foreground Dice of one cell (case id -> Dice averaged over foreground classes).
    public func caseDice(_ c: Cell) -> [String: Double] {
        var out: [String: Double] = [:]
        for entry in ((cellSummary(c)["test"] as? [String: Any])?["cases"] as? [[String: Any]]) ?? [] {
            guard let id = entry["case"] as? String, let m = entry["metrics"] as? [String: Any] else { continue }
            let d = m.filter { $0.key != "0" }.compactMap { number(($0.value as? [String: Any])?["dice"]) }
            if !d.isEmpty { out[id] = d.reduce(0, +) / Double(d.count) }
        }
        return out
    }

    /// `metrics.csv` of a cell as columns by header name (missing values NaN).
    public func metrics(_ c: Cell) -> [String: [Double]] {
        guard let text = try? String(contentsOf: c.directory.appendingPathComponent("metrics.csv"), encoding: .utf8) else { return [:] }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else { return [:] }
        var cols = [String: [Double]]()
        for line in lines.dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for (i, h) in header.enumerated() { cols[h, default: []].append(i < f.count ? Double(f[i]) ?? .nan : .nan) }
        }
        return cols
    }

    /// Test case ids: `split.json`'s `test` list, else the first cell's evaluated cases.
    public var testCases: [String] {
        if let t = split["test"] as? [String], !t.isEmpty { return t }
        for s in strategies { if let c = cells[s]?.first { let ids = caseDice(c).keys.sorted(); if !ids.isEmpty { return ids } } }
        return []
    }
}

/// A JSON number (or numeric string) as Double; nil for null, missing or non-numeric values.
func number(_ any: Any?) -> Double? {
    if let n = any as? NSNumber { return n.doubleValue }
    if let d = any as? Double { return d }
    if let s = any as? String { return Double(s) }
    return nil
}
