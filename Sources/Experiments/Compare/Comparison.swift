import Foundation
import MedIO
import Training

/// `semiseg compare`: every strategy x seed as one normal run (a "cell") on one shared split, resumable, then a
/// summary with mean ± std over seeds and paired Wilcoxon tests against `supervised`.
///
/// Folder layout (read by the figures and notebook exporters):
/// `RUN/compare.json`, `RUN/split.json`, `RUN/cells/<strategy>-seed<S>/` (a `RunPipeline` run folder; finished iff its
/// `summary.json` exists), `RUN/summary.json`, `RUN/summary.csv`, `RUN/report.md`, `RUN/figures/*.png`.
public enum Comparison {
    /// A validated comparison, ready to run: nothing has been written yet.
    public struct Plan: Sendable {
        public var settings: CompareSettings
        /// The shared split (from the counts and the first seed, or the `--split` file).
        public var split: DataSplit
        /// Cells in run order: seed-major, so an interrupted study already has whole seeds.
        public var cells: [(strategy: String, seed: UInt64)]
        /// The settings already in `RUN/compare.json` when this invocation adds strategies or seeds to them (nil for a
        /// new comparison or the same one again).
        public var grownFrom: CompareSettings? = nil
        /// `settings.base`, checked once by `prepare` (every cell's config derives from it: `CompareSettings.cellConfig`).
        public var base: ValidatedConfig
    }

    /// What happened to the cells of one `run`.
    public struct Outcome {
        public var summary: ComparisonSummary
        /// Cells that ran in this invocation (not skipped), by name.
        public var ran: [String]
        public var skipped: [String]
        /// Cells that failed, with the error text.
        public var failed: [(cell: String, error: String)]
    }

    // MARK: - Validation

    /// Checks everything before anything is written: the lists, the shared config, every strategy's options
    /// (`checkStrategy` instantiates it), the dataset (every file, via `MSDDataset.open`), the model against the data
    /// (`ModelDims`) and the split.
    ///
    /// An existing `RUN/compare.json` with the same shared settings (data, split, model, budget, every training
    /// flag, and the options of strategies in both) is grown: the plan holds the union of old and new strategies
    /// and seeds (old order first), so only cells not finished yet train. Other shared settings are refused.
    ///
    /// - Throws: `ConfigError` listing every problem of settings, options and model/data, `MSDValidationError`,
    ///   `SplitError` or `TrainingError` (other shared settings already in `RUN`, listed as `key: old -> new`).
    public static func prepare(_ requested: CompareSettings, knownStrategies: [String],
                               checkStrategy: (TrainConfig) throws -> Void) throws -> Plan {
        var settings = requested
        var problems = settings.listProblems(knownStrategies: knownStrategies)
        var validated: ValidatedConfig?
        do { validated = try ValidatedConfig(settings.base) } catch let e as ConfigError { problems += e.problems }
        if problems.isEmpty {
            for s in settings.strategies {
                do { try checkStrategy(settings.cellConfig(strategy: s, seed: settings.seeds[0])) }
                catch let e as ConfigError { problems += e.problems }
                catch { problems.append("\(s): \(error)") }
            }
        }
        guard problems.isEmpty, var resolved = validated else { throw ConfigError(problems: problems) }
        // The dataset once (every file validated), and the model it implies: compare.json records the resolved model.
        let (ds, requestedSplit) = try DatasetLoader.openAndSplit(settings.base)
        try ModelDims.resolve(&resolved, datasetIs2D: try ModelDims.datasetIs2D(ds))
        settings.base.model = resolved.model; settings.base.modelDims = resolved.modelDims
        let fm = FileManager.default
        let run = settings.runDirectory
        let saved = run.appendingPathComponent("compare.json")
        var grownFrom: CompareSettings?
        if fm.fileExists(atPath: saved.path) {
            var old = try CompareSettings.load(saved)
            if old.base.model == "auto" { old.base.model = resolved.model; old.base.modelDims = resolved.modelDims }  // a folder written before models were resolved
            let diffs = sharedDifferences(old, settings)
            if !diffs.isEmpty {
                throw TrainingError("\(run.path): holds a comparison with other shared settings (\(diffs.joined(separator: "; "))); "
                                    + "strategies and seeds join a comparison only with the same settings: use another --out")
            }
            let merged = grown(old, with: settings)
            if merged.strategies != old.strategies || merged.seeds != old.seeds { grownFrom = old }
            settings = merged
        } else if let items = try? fm.contentsOfDirectory(atPath: run.path), !items.filter({ !$0.hasPrefix(".") }).isEmpty {
            throw TrainingError("\(run.path): exists and is not a comparison folder (no compare.json); use another --out")
        }
        // The split comes from the shared counts and the first seed; growing keeps the folder's first seed.
        let split = settings.seeds.first == requested.seeds.first ? requestedSplit : try DatasetLoader.openAndSplit(settings.base).1
        let savedSplit = run.appendingPathComponent("split.json")
        if fm.fileExists(atPath: savedSplit.path) {
            guard try DataSplit.load(savedSplit) == split else {
                throw TrainingError("\(savedSplit.path): differs from the split these settings give; use another --out")
            }
        }
        let cells = settings.seeds.flatMap { seed in settings.strategies.map { (strategy: $0, seed: seed) } }
        // A grown folder keeps its own shared settings, equal to these but for the folder path (sharedDifferences).
        resolved.out = settings.base.out
        return Plan(settings: settings, split: split, cells: cells, grownFrom: grownFrom, base: resolved)
    }

    /// `old` with the strategies, seeds and strategy options of `new` that it does not have yet appended (old order
    /// first, so the split's seed stays the first one). The shared settings are `old`'s (call only when
    /// `sharedDifferences` is empty), with `new`'s folder path.
    public static func grown(_ old: CompareSettings, with new: CompareSettings) -> CompareSettings {
        let strategies = old.strategies + new.strategies.filter { !old.strategies.contains($0) }
        let seeds = old.seeds + new.seeds.filter { !old.seeds.contains($0) }
        var options = old.strategyOptions
        for (s, o) in new.strategyOptions where !old.strategies.contains(s) { options[s] = o }
        var base = old.base
        base.out = new.base.out
        return CompareSettings(strategies: strategies, seeds: seeds, strategyOptions: options, base: base)
    }

    /// The settings two comparisons must share to be one study, as `key: old -> new` lines (empty = compatible):
    /// every field of the shared training configuration except the folder path and the per-cell placeholders
    /// (strategy, its options, seed), and the options of every strategy both list.
    public static func sharedDifferences(_ a: CompareSettings, _ b: CompareSettings) -> [String] {
        var d: [String] = []
        let ja = jsonFields(a.base), jb = jsonFields(b.base)
        for key in Set(ja.keys).union(jb.keys).sorted() where !["out", "strategy", "strategyOptions", "seed"].contains(key) {
            let x = ja[key] ?? "none", y = jb[key] ?? "none"
            if x != y { d.append("\(key): \(x) -> \(y)") }
        }
        for s in a.strategies where b.strategies.contains(s) {
            let x = a.strategyOptions[s] ?? [:], y = b.strategyOptions[s] ?? [:]
            if x != y { d.append("\(s) options: \(optionText(x)) -> \(optionText(y))") }
        }
        return d
    }

    /// Human-readable differences between two comparison settings (empty = same study), as `key: old -> new`.
    public static func differences(_ a: CompareSettings, _ b: CompareSettings) -> [String] {
        var d: [String] = []
        if a.strategies != b.strategies { d.append("strategies: \(a.strategies.joined(separator: ",")) -> \(b.strategies.joined(separator: ","))") }
        if a.seeds != b.seeds { d.append("seeds: \(a.seeds.map(String.init).joined(separator: ",")) -> \(b.seeds.map(String.init).joined(separator: ","))") }
        for s in Set(a.strategyOptions.keys).union(b.strategyOptions.keys).sorted() where !(a.strategies.contains(s) && b.strategies.contains(s)) {
            let x = a.strategyOptions[s] ?? [:], y = b.strategyOptions[s] ?? [:]
            if x != y { d.append("\(s) options: \(optionText(x)) -> \(optionText(y))") }
        }
        return d + sharedDifferences(a, b)
    }

    /// `k=v,k2=v2` (sorted), or `none`.
    static func optionText(_ o: [String: String]) -> String {
        o.isEmpty ? "none" : o.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Every field of `c` as compact JSON text (`[1,64,64]`, `"unet2d"`, `0.001`) by camelCase key; absent (nil) fields
    /// are missing.
    static func jsonFields(_ c: TrainConfig) -> [String: String] {
        let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]
        guard let data = try? e.encode(c), let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in obj {
            if v is NSNull { continue }
            if let s = v as? String { out[k] = s; continue }
            if let t = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed]) {
                out[k] = String(decoding: t, as: UTF8.self)
            }
        }
        return out
    }

    // MARK: - Running

    /// Runs (or resumes) every unfinished cell, then writes `summary.json`, `summary.csv` and `report.md`.
    ///
    /// A cell whose `summary.json` exists is skipped; an unfinished cell folder is resumed from its last checkpoint.
    /// A failing cell is reported and the others still run; a re-run retries it.
    /// - Parameters:
    ///   - makeStrategy: instantiates a registered strategy by name with its options.
    ///   - progress: one line per cell (`[3/12] uda seed 1: test Dice 0.912 (85 s)`).
    ///   - cellLog: the cell's own log lines (epochs, ...); they are also appended to `cells/<name>/log.txt`.
    ///   - logSteps: cells also log one line per optimizer step.
    ///   - observers: builds the training observers of each cell (progress pictures).
    public static func run(_ plan: Plan, makeStrategy: @escaping (String, StrategyOptions) throws -> any Strategy,
                           progress: (String) -> Void, cellLog: @escaping (String) -> Void = { _ in },
                           logSteps: Bool = false, observers: () -> [any TrainingObserver] = { [] }) throws -> Outcome {
        let settings = plan.settings
        let run = settings.runDirectory
        try writeFolder(plan)
        var ran: [String] = [], skipped: [String] = [], failed: [(String, String)] = []
        for (i, cell) in plan.cells.enumerated() {
            let name = CompareSettings.cellName(strategy: cell.strategy, seed: cell.seed)
            let head = "[\(i + 1)/\(plan.cells.count)] \(cell.strategy) seed \(cell.seed):"
            switch try runCell(settings, base: plan.base, strategy: cell.strategy, seed: cell.seed, makeStrategy: makeStrategy, cellLog: cellLog,
                               logSteps: logSteps, observers: observers()) {
            case .finished:
                progress("\(head) skipped (finished)")
                skipped.append(name)
            case .ran(let summary, let resumed, let seconds):
                let dice = summary.test?.foregroundMean[.dice].map { String(format: "%.3f", $0) } ?? "n/a"
                progress("\(head) test Dice \(dice) (\(String(format: "%.0f", seconds)) s)" + (resumed ? ", resumed" : ""))
                ran.append(name)
            case .busy(let e):
                // Another process (a second compare, a Slurm array task) trains this cell now: leave it to that one.
                progress("\(head) skipped (\(e.holder.map { "in use by \($0)" } ?? "in use by another process"))")
                skipped.append(name)
            case .failed(let text):
                progress("\(head) FAILED: \(text.split(separator: "\n").first.map(String.init) ?? text)")
                failed.append((name, text))
            }
        }
        let summary = try writeOutputs(run)
        return Outcome(summary: summary, ran: ran, skipped: skipped, failed: failed)
    }

    /// A resumed cell must have been started with this comparison's settings.
    static func checkCellConfig(_ dir: URL, expected: TrainConfig) throws {
        let url = dir.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        var old = try TrainConfig.load(url)
        old.classes = expected.classes  // the run sets classes from the dataset
        if expected.model == "auto" { old.model = "auto"; old.modelDims = expected.modelDims }  // the run resolves "auto" from the dataset (ModelDims)
        guard old == expected else {
            throw TrainingError("\(dir.path): was started with other settings than compare.json; delete the folder to re-run it")
        }
    }

    // MARK: - Outputs

    /// Summarises the finished cells of a comparison folder and writes `summary.json`, `summary.csv` and
    /// `report.md` (linking `figures/*.png` when present). Idempotent: call it again after drawing figures.
    @discardableResult
    public static func writeOutputs(_ run: URL) throws -> ComparisonSummary {
        let settings = try CompareSettings.load(run.appendingPathComponent("compare.json"))
        let split = try DataSplit.load(run.appendingPathComponent("split.json"))
        let fm = FileManager.default
        var cells: [ComparisonSummary.Cell] = []
        var labels: [String: String] = [:]
        for seed in settings.seeds {
            for s in settings.strategies {
                let folder = "cells/" + CompareSettings.cellName(strategy: s, seed: seed)
                let dir = run.appendingPathComponent(folder)
                let url = dir.appendingPathComponent("summary.json")
                guard fm.fileExists(atPath: url.path) else { continue }
                let summary: RunSummary
                do { summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: url)) } catch {
                    throw TrainingError("\(url.path): not a readable run summary (\(error.localizedDescription))")
                }
                cells.append(.init(strategy: s, seed: seed, folder: folder, summary: summary))
                if labels.isEmpty, let p = try? Preprocessing.load(dir.appendingPathComponent("preprocessing.json")) {
                    labels = p.labelNames.filter { $0.key != "0" }
                }
            }
        }
        let summary: ComparisonSummary
        do {
            summary = try ComparisonSummary.make(split: split, strategies: settings.strategies, seeds: settings.seeds,
                                                 labels: labels, cells: cells)
        } catch { throw TrainingError("\(run.path): cannot summarise the cells (\(error))") }
        try writeAtomically(try summary.jsonData(), to: run.appendingPathComponent("summary.json"))
        try writeAtomically(Data(summary.csv().utf8), to: run.appendingPathComponent("summary.csv"))
        try writeReport(run, summary: summary, settings: settings)
        return summary
    }

    /// Writes `report.md` from `summary.json` (or the given summary), linking every `figures/*.png`.
    public static func writeReport(_ run: URL, summary given: ComparisonSummary? = nil, settings givenSettings: CompareSettings? = nil) throws {
        let settings = try givenSettings ?? CompareSettings.load(run.appendingPathComponent("compare.json"))
        let summary = try given ?? JSONDecoder().decode(ComparisonSummary.self, from: Data(contentsOf: run.appendingPathComponent("summary.json")))
        let figDir = run.appendingPathComponent("figures")
        let figures = ((try? FileManager.default.contentsOfDirectory(atPath: figDir.path)) ?? [])
            .filter { $0.hasSuffix(".png") }.sorted().map { "figures/\($0)" }
        let md = ComparisonReport.markdown(summary: summary, settings: settings, figures: figures)
        try writeAtomically(Data(md.utf8), to: run.appendingPathComponent("report.md"))
    }
}

/// Appends a cell's log lines to `log.txt`, holding them until the run folder exists.
final class CellLogFile: @unchecked Sendable {
    private let url: URL
    private var pending: [String] = []
    private let lock = NSLock()

    init(_ url: URL) { self.url = url }

    func append(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        pending.append(line)
        let dir = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: dir.path) else { return }
        let text = Data((pending.joined(separator: "\n") + "\n").utf8)
        pending.removeAll()
        if let h = try? FileHandle(forWritingTo: url) {
            h.seekToEndOfFile(); h.write(text); try? h.close()
        } else {
            try? text.write(to: url)
        }
    }
}
