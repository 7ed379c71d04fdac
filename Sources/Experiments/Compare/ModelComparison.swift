import Evaluation
import Foundation
import NN
import Training

/// `semiseg compare --models a,b,...`: networks compared under one strategy on one split, the way the knee-cartilage
/// study compared its networks (docs/ARCHITECTURE.md §3): per network the parameter count, training seconds per epoch,
/// final training and validation loss, test Dice (mean ± std over seeds) and the paired difference to the first
/// network (per test case averaged over seeds: Wilcoxon p; over seeds and cases: hierarchical bootstrap p).
///
/// Each network is one ordinary comparison folder `RUN/models/<name>/` (one strategy, the seeds; resumable and
/// growable like any `compare`); `RUN/models.json`, `RUN/models.csv` and `RUN/models.md` hold the table.
public enum ModelComparison {
    /// One network's row.
    public struct Row: Codable, Equatable, Sendable {
        /// `--model` name as given (registry name or alias) and the comparison folder (relative to RUN).
        public var model: String
        public var folder: String
        public var dims: Int
        /// Trainable parameters of the network the cells trained.
        public var params: Int
        /// Training seconds per epoch (each seed's training time / epochs trained), mean ± std over seeds.
        public var secondsPerEpoch: MeanStd
        /// Training loss (total) and validation loss of the last epoch, mean ± std over seeds.
        public var finalTrainLoss: MeanStd
        public var finalValidationLoss: MeanStd
        /// Test foreground Dice (mean over foreground classes), mean ± std over seeds.
        public var testDice: MeanStd
        /// Per foreground class: the Dice difference to the first network (nil for the first).
        public var vsFirst: [String: PairedDifference]?

        enum CodingKeys: String, CodingKey {
            case model, folder, dims, params, secondsPerEpoch = "seconds_per_epoch", finalTrainLoss = "final_train_loss"
            case finalValidationLoss = "final_val_loss", testDice = "test_dice", vsFirst = "vs_first"
        }
    }

    /// The comparison folder of `model` under `root`.
    public static func folder(_ model: String, root: URL) -> URL { root.appendingPathComponent("models/\(model)") }

    /// The settings of `model`'s comparison: `base` with the network and output folder replaced.
    public static func settings(model: String, dims: Int?, base: CompareSettings) -> CompareSettings {
        var s = base
        s.base.model = model
        s.base.modelDims = dims
        s.base.out = folder(model, root: base.runDirectory).path
        return s
    }

    /// Reads every network's finished comparison under `root` and builds the rows (first model = reference).
    /// - Throws: `TrainingError` naming a folder whose comparison has no finished cell.
    public static func summarize(root: URL, models: [String]) throws -> [Row] {
        var rows: [Row] = []
        var cellsByModel: [[ComparisonSummary.Cell]] = []
        for model in models {
            let dir = folder(model, root: root)
            let settings = try CompareSettings.load(dir.appendingPathComponent("compare.json"))
            guard let strategy = settings.strategies.first else { throw TrainingError("\(dir.path): compare.json lists no strategy") }
            var cells: [ComparisonSummary.Cell] = [], perEpoch: [Double] = [], trainLoss: [Double] = [], valLoss: [Double] = []
            var params = 0, dims = settings.base.dims
            for seed in settings.seeds {
                let name = CompareSettings.cellName(strategy: strategy, seed: seed)
                let cellDir = dir.appendingPathComponent("cells/\(name)")
                let summaryURL = cellDir.appendingPathComponent("summary.json")
                guard FileManager.default.fileExists(atPath: summaryURL.path) else { continue }
                let summary = try JSONDecoder().decode(RunSummary.self, from: try Data(contentsOf: summaryURL))
                cells.append(.init(strategy: model, seed: seed, folder: "models/\(model)/cells/\(name)", summary: summary))
                let rows = try metricsRows(cellDir.appendingPathComponent("metrics.csv"))
                if let last = rows.last {
                    if let l = last["loss"] { trainLoss.append(l) }
                    if let v = rows.last(where: { $0["val_loss"] != nil })?["val_loss"] { valLoss.append(v) }
                }
                let seconds = rows.compactMap { $0["seconds"] }
                if !seconds.isEmpty { perEpoch.append(seconds.reduce(0, +) / Double(seconds.count)) }
                if params == 0 {
                    let config = try TrainConfig.load(cellDir.appendingPathComponent("config.json"))
                    let prep = try Preprocessing.load(cellDir.appendingPathComponent("preprocessing.json"))
                    var spec = config.networkSpec(inChannels: prep.channels)
                    spec.classes = prep.classes
                    dims = config.dims
                    if NetworkRegistry.problems(spec).isEmpty { params = NetworkRegistry.build(spec).parameterCount }
                }
            }
            guard !cells.isEmpty else { throw TrainingError("\(dir.path): no finished cell (summary.json) yet") }
            let dice = cells.compactMap { $0.summary.test?.foregroundMean[.dice] }
            rows.append(Row(model: model, folder: "models/\(model)", dims: dims, params: params, secondsPerEpoch: MeanStd(perEpoch),
                            finalTrainLoss: MeanStd(trainLoss), finalValidationLoss: MeanStd(valLoss), testDice: MeanStd(dice), vsFirst: nil))
            cellsByModel.append(cells)
        }
        for i in rows.indices.dropFirst() {
            let diffs = try ComparisonSummary.compare(cellsByModel[i], to: cellsByModel[0])
            rows[i].vsFirst = diffs.compactMapValues { $0[Metric.dice.rawValue] }.filter { $0.key != "0" }
        }
        return rows
    }

    /// `metrics.csv` rows as column -> value (empty cells left out).
    static func metricsRows(_ url: URL) throws -> [[String: Double]] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { f in
            var row: [String: Double] = [:]
            for (k, v) in zip(header, f) { if let d = Double(v) { row[k] = d } }
            return row
        }
    }

    /// The table as Markdown (knee-study layout), p-values against the first network.
    public static func markdown(_ rows: [Row], strategy: String, seeds: Int) -> String {
        func ms(_ m: MeanStd, _ digits: Int) -> String {
            guard let v = m.mean else { return "–" }
            return String(format: "%.\(digits)f", v) + (m.std.map { String(format: " ± %.\(digits)f", $0) } ?? "")
        }
        func p(_ v: Double?) -> String { v.map { $0 < 0.001 ? "< 0.001" : String(format: "%.3f", $0) } ?? "–" }
        var md = "# Networks compared\n\nStrategy `\(strategy)`, \(seeds) seed(s), one split; mean ± std over seeds. "
        md += "Δ Dice and p-values against `\(rows.first?.model ?? "")` (foreground class 1; Wilcoxon over test cases averaged "
        md += "over seeds, the hierarchical bootstrap over seeds and cases, and the crossed seeds × cases t-test, the verdict: "
        md += "calibrated with 3-5 seeds where the bootstrap is too confident).\n\n"
        md += "| network | dims | params | train s/epoch | final train loss | final val loss | test Dice | Δ Dice | p (Wilcoxon) | p (bootstrap) | p (t-test) |\n"
        md += "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        for r in rows {
            let d = r.vsFirst?["1"]
            md += "| \(r.model) | \(r.dims)D | \(r.params) | \(ms(r.secondsPerEpoch, 2)) | \(ms(r.finalTrainLoss, 4)) | "
            md += "\(ms(r.finalValidationLoss, 4)) | \(ms(r.testDice, 4)) | \(d?.diff.map { String(format: "%+.4f", $0) } ?? "–") | "
            md += "\(p(d?.pValue)) | \(p(d?.bootstrap?.pValue)) | \(p(d?.tTest?.pValue)) |\n"
        }
        return md
    }

    /// Writes `models.json`, `models.csv` and `models.md` under `root`.
    public static func write(_ rows: [Row], root: URL, strategy: String, seeds: Int) throws {
        let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try e.encode(rows), to: root.appendingPathComponent("models.json"))
        var csv = "model,dims,params,seconds_per_epoch,final_train_loss,final_val_loss,test_dice,test_dice_std,diff_vs_first,p_wilcoxon,p_bootstrap,p_t_test\n"
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        for r in rows {
            let d = r.vsFirst?["1"]
            csv += [r.model, "\(r.dims)", "\(r.params)", f(r.secondsPerEpoch.mean), f(r.finalTrainLoss.mean), f(r.finalValidationLoss.mean),
                    f(r.testDice.mean), f(r.testDice.std), f(d?.diff), f(d?.pValue), f(d?.bootstrap?.pValue), f(d?.tTest?.pValue)].joined(separator: ",") + "\n"
        }
        try writeAtomically(Data(csv.utf8), to: root.appendingPathComponent("models.csv"))
        try writeAtomically(Data(markdown(rows, strategy: strategy, seeds: seeds).utf8), to: root.appendingPathComponent("models.md"))
    }
}
