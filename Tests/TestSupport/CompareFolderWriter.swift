import Evaluation
@testable import Experiments
import Foundation
import Training

/// Writes the JSON of a `semiseg compare` folder through the types that write it in a real comparison, so a test
/// fixture cannot drift from them: per cell `config.json` (`TrainConfig`) and `summary.json` (`RunSummary` with an
/// `EvaluationReport`), `compare.json` (`CompareSettings`), `split.json` (`DataSplit`), then `summary.json`,
/// `summary.csv` and `report.md` by `Comparison.writeOutputs`, as `compare` and `compare --collect` do.
/// Predictions, uncertainty maps and `metrics.csv` are the caller's (written into `cellDirectory`).
public enum CompareFolderWriter {
    /// - Parameters:
    ///   - dice: Dice of class 1 on test case `case` (an index into `split.test`) for a strategy and seed.
    ///   - strategyOptions: per strategy, saved in each cell's config (e.g. MC dropout's `samples`).
    ///   - cellWritten: called with each cell's folder once its JSON is written.
    public static func write(run: URL, data: String, strategies: [String], seeds: [UInt64], split: DataSplit,
                             strategyOptions: [String: [String: String]] = [:],
                             dice: (_ strategy: String, _ seed: UInt64, _ case: Int) -> Double,
                             cellWritten: (_ strategy: String, _ seed: UInt64, _ cellDirectory: URL) throws -> Void = { _, _, _ in }) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: run, withIntermediateDirectories: true)
        var base = TrainConfig(data: data, out: run.path)
        base.labeled = split.labeled.count
        base.validation = split.validation.count
        let settings = CompareSettings(strategies: strategies, seeds: seeds, strategyOptions: strategyOptions, base: base)
        try settings.save(run.appendingPathComponent("compare.json"))
        try split.save(run.appendingPathComponent("split.json"))
        for seed in seeds {
            for s in strategies {
                let config = settings.cellConfig(strategy: s, seed: seed)
                let cell = URL(fileURLWithPath: config.out)
                try fm.createDirectory(at: cell, withIntermediateDirectories: true)
                try config.save(cell.appendingPathComponent("config.json"))
                let results = split.test.enumerated().map { i, id in
                    var v = MetricValues()
                    v[.dice] = dice(s, seed, i)
                    return CaseResult(caseID: id, metrics: [1: v], counts: [:], confusion: ConfusionMatrix(classes: 2))
                }
                let summary = RunSummary(strategy: s, seed: seed, bestValidationDice: nil, bestEpoch: nil, trainSeconds: 3,
                                         test: try EvaluationReport(results: results), ece: 0.02, brier: 0.03, uncertaintyMean: [:])
                let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
                try e.encode(summary).write(to: cell.appendingPathComponent("summary.json"))
                try cellWritten(s, seed, cell)
            }
        }
        try Comparison.writeOutputs(run)
    }
}
