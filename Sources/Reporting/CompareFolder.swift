import Evaluation
import Experiments
import Foundation
import MedIO
import Training

/// Read-only view of a `semiseg compare` output folder (docs/ARCHITECTURE.md §7): `compare.json`, `split.json`,
/// `summary.json`, `summary.csv`, and one normal run folder per strategy and seed under `cells/<strategy>-seed<S>/`.
///
/// The JSON files are decoded into the types that write them (`CompareSettings`, `DataSplit`, `ComparisonSummary`,
/// and per cell `TrainConfig` and `RunSummary`), so the figures read the same fields the comparison wrote. A file that
/// is absent is nil (figures then fall back to the cells); one that is there but not of its type is an error naming it.
public struct CompareFolder {
    /// One training run of the comparison.
    public struct Cell {
        public var strategy: String
        public var seed: Int
        public var directory: URL
    }

    /// The comparison folder.
    public let directory: URL
    /// `compare.json` (settings), nil when absent.
    public let settings: CompareSettings?
    /// `split.json`, else the summary's split; nil when neither exists.
    public let split: DataSplit?
    /// `summary.json`, nil when absent.
    public let summary: ComparisonSummary?
    /// Strategy names in display order: `compare.json`'s list (else the summary's order), then supervised first and
    /// the rest sorted.
    public let strategies: [String]
    /// Cells per strategy, sorted by seed.
    public let cells: [String: [Cell]]

    /// Opens `directory`.
    /// - Throws: `MedIOError` when it holds neither `summary.json` nor any cell, or names a JSON file that is not of
    ///   its type.
    public init(_ directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw MedIOError(directory.path, "no such folder")
        }
        settings = try Self.decode(directory.appendingPathComponent("compare.json"), "comparison settings") { try CompareSettings.load($0) }
        summary = try Self.decode(directory.appendingPathComponent("summary.json"), "comparison summary") {
            try JSONDecoder().decode(ComparisonSummary.self, from: Data(contentsOf: $0))
        }
        split = try Self.decode(directory.appendingPathComponent("split.json"), "split") { try DataSplit.load($0) } ?? summary?.split
        var cells: [String: [Cell]] = [:]
        let cellRoot = directory.appendingPathComponent("cells")
        for name in ((try? fm.contentsOfDirectory(atPath: cellRoot.path)) ?? []).sorted() {
            guard let r = name.range(of: "-seed", options: .backwards), let seed = Int(name[r.upperBound...]) else { continue }
            let strategy = String(name[..<r.lowerBound])
            cells[strategy, default: []].append(Cell(strategy: strategy, seed: seed, directory: cellRoot.appendingPathComponent(name)))
        }
        self.cells = cells.mapValues { $0.sorted { $0.seed < $1.seed } }
        let summarized = Array((summary?.strategies ?? [:]).keys)
        guard !summarized.isEmpty || !cells.isEmpty else {
            throw MedIOError(directory.path, "not a compare folder (no summary.json strategies and no cells/<strategy>-seed<S>/ runs)")
        }
        let listed = settings?.strategies ?? summary?.order ?? []
        let known = Set(summarized).union(cells.keys)
        var order = listed.filter { known.contains($0) }
        let rest = known.subtracting(order).sorted { a, b in a == "supervised" ? true : (b == "supervised" ? false : a < b) }
        order += rest
        strategies = order
    }

    /// `read(url)`; nil when the file does not exist; any failure to read it as `what` is a `MedIOError` naming it.
    static func decode<T>(_ url: URL, _ what: String, _ read: (URL) throws -> T) throws -> T? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do { return try read(url) } catch let e as MedIOError { throw e } catch {
            throw MedIOError(url.path, "not a readable \(what) (\(Self.reason(error)))")
        }
    }

    /// A decoding error in a few words (the key path and what was wrong).
    static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let k, let c): return "missing key '\((c.codingPath + [k]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.dataCorrupted(let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "key '\(path)': ") + c.debugDescription
        default: return "\(error)"
        }
    }

    // MARK: - Summary values

    /// `summary.json` block of one strategy.
    public func strategySummary(_ s: String) -> StrategySummary? { summary?.strategies[s] }

    /// Foreground-mean Dice of a strategy: mean and std over seeds and the per-seed values (from summary.json,
    /// falling back to the cells' own summary.json files).
    public func foregroundDice(_ s: String) -> (mean: Double?, std: Double?, seeds: [Double]) {
        let block = strategySummary(s)
        var seeds = block?.perSeed.compactMap { $0.foregroundMean[.dice] } ?? []
        if seeds.isEmpty { seeds = (cells[s] ?? []).compactMap { cellForegroundDice($0) } }
        let fg = block?.foregroundMean[Metric.dice.rawValue]
        var mean = fg?.mean, std = fg?.std
        if mean == nil, !seeds.isEmpty { mean = seeds.reduce(0, +) / Double(seeds.count) }
        if std == nil, seeds.count > 1, let m = mean {
            std = (seeds.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(seeds.count - 1)).squareRoot()
        }
        return (mean, std, seeds)
    }

    /// A cell's `summary.json` (`RunSummary`), nil when absent or unreadable (a cell that did not finish).
    public func cellSummary(_ c: Cell) -> RunSummary? {
        try? JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: c.directory.appendingPathComponent("summary.json")))
    }

    /// A cell's `config.json` (decoded over the defaults, values as saved), nil when absent or unreadable.
    public func cellConfig(_ c: Cell) -> TrainConfig? {
        try? TrainConfig.read(c.directory.appendingPathComponent("config.json"))
    }

    /// Test foreground Dice of one cell.
    public func cellForegroundDice(_ c: Cell) -> Double? { cellSummary(c)?.test?.foregroundMean[.dice] }

    /// Per-case mean foreground Dice of one cell (case id -> Dice averaged over foreground classes).
    public func caseDice(_ c: Cell) -> [String: Double] {
        var out: [String: Double] = [:]
        for entry in cellSummary(c)?.test?.cases ?? [] {
            let d = entry.metrics.filter { $0.key != "0" }.compactMap { $0.value[.dice] }
            if !d.isEmpty { out[entry.case] = d.reduce(0, +) / Double(d.count) }
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
        if let t = split?.test, !t.isEmpty { return t }
        for s in strategies { if let c = cells[s]?.first { let ids = caseDice(c).keys.sorted(); if !ids.isEmpty { return ids } } }
        return []
    }
}
