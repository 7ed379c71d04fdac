import Evaluation
@testable import Experiments
import Foundation
import Testing
@testable import Training
@testable import Reporting

@Suite struct NotebookExportTests {
    @Test func notebookIsNbformat45WithEmbeddedFigures() throws {
        let run = try CompareFixture.make()
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        let nbURL = run.deletingLastPathComponent().appendingPathComponent("export/nb.ipynb")
        try NotebookExport.write(compareDirectory: run, to: nbURL, maps: CompareFixture.maps)
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: nbURL)) as? [String: Any]
        let nb = try #require(obj)
        #expect(nb["nbformat"] as? Int == 4 && nb["nbformat_minor"] as? Int == 5)
        #expect(((nb["metadata"] as? [String: Any])?["kernelspec"] as? [String: Any])?["name"] as? String == "python3")
        let cells = try #require(nb["cells"] as? [[String: Any]])
        let ids = cells.compactMap { $0["id"] as? String }
        #expect(ids.count == cells.count && Set(ids).count == ids.count)
        let pngs = cells.flatMap { ($0["outputs"] as? [[String: Any]]) ?? [] }.compactMap { ($0["data"] as? [String: Any])?["image/png"] as? String }
        let figures = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("figures").path).filter { $0.hasSuffix(".png") }
        #expect(pngs.count == figures.count && pngs.count >= 5)
        for p in pngs { #expect(Data(base64Encoded: p)?.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47])) }
        let text = cells.map { (($0["source"] as? [String]) ?? []).joined() }.joined(separator: "\n")
        // A real comparison (summary.json and compare.json through their types): the report's own results table.
        let summary = try JSONDecoder().decode(ComparisonSummary.self, from: Data(contentsOf: run.appendingPathComponent("summary.json")))
        #expect(text.contains(ComparisonReport.resultsTable(summary)) && text.contains("| mc-dropout | 0.710 ± 0.014 |"))
        #expect(text.contains("pd.read_csv(RUN / \"summary.csv\")"))
        #expect(text.contains("RUN = Path(\"../run\")"), "relative fallback from export/ to run/")
        // Only the cells left: the tables come from the cells' typed run summaries and configs.
        for f in ["summary.json", "compare.json", "split.json"] { try FileManager.default.removeItem(at: run.appendingPathComponent(f)) }
        let sections = NotebookExport.reportSections(run, folder: try CompareFolder(run))
        #expect(sections[2].contains("| mc-dropout | 0.710 ± 0.014 | 2 |"), "\(sections[2])")
        #expect(sections[0].contains("| strategyOptions.samples | 8 |") || sections[0].contains("| data |"), "\(sections[0])")
        #expect(sections[1] == "## Data split\n\n_No split.json found._")
    }

    /// Issue #13 item 6: the notebook's tables are report.md's tables (one typed source), the configuration is a
    /// table of settings, and the difference to supervised is never `n/a` when the report has a number.
    @Test func notebookTablesAreTheReportTables() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nb-typed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ids = ["a.nii.gz", "b.nii.gz", "c.nii.gz", "d.nii.gz"]
        func run(_ s: String, _ seed: UInt64, _ shift: Double) throws -> RunSummary {
            let results = ids.enumerated().map { i, id in
                var v = MetricValues()
                v[.dice] = 0.6 + 0.05 * Double(i) + shift + 0.01 * Double(seed)
                v[.hd95] = i == 0 ? nil : 3 - shift
                return CaseResult(caseID: id, metrics: [1: v], counts: [:], confusion: ConfusionMatrix(classes: 2))
            }
            return RunSummary(strategy: s, seed: seed, bestValidationDice: 0.7, bestEpoch: 2, trainSeconds: 5,
                              test: try EvaluationReport(results: results), ece: 0.1, brier: 0.05, uncertaintyMean: [:])
        }
        var cells: [ComparisonSummary.Cell] = []
        for seed in [UInt64(0), 1, 2] {
            cells.append(.init(strategy: "supervised", seed: seed, folder: "cells/supervised-seed\(seed)", summary: try run("supervised", seed, 0)))
            cells.append(.init(strategy: "uda", seed: seed, folder: "cells/uda-seed\(seed)", summary: try run("uda", seed, 0.02 + 0.005 * Double(seed))))
        }
        let split = DataSplit(seed: 0, labeled: ["l.nii.gz"], unlabeled: ["u.nii.gz"], validation: ["v.nii.gz"], test: ids)
        let summary = try ComparisonSummary.make(split: split, strategies: ["supervised", "uda"], seeds: [0, 1, 2], labels: ["1": "tumour"], cells: cells)
        let settings = CompareSettings(strategies: ["supervised", "uda"], seeds: [0, 1, 2], base: TrainConfig(data: "data", out: dir.path))
        try summary.jsonData().write(to: dir.appendingPathComponent("summary.json"))
        try settings.save(dir.appendingPathComponent("compare.json"))
        try split.save(dir.appendingPathComponent("split.json"))
        let sections = NotebookExport.reportSections(dir, folder: try CompareFolder(dir))
        let report = ComparisonReport.markdown(summary: summary, settings: settings)
        #expect(sections.count == 4)
        #expect(report.contains(ComparisonReport.configurationTable(summary: summary, settings: settings)))
        #expect(sections[0].hasSuffix(ComparisonReport.configurationTable(summary: summary, settings: settings)))
        #expect(sections[0].contains("| checkpoint selection |") && !sections[0].contains("{\""), "a table, not a JSON blob")
        #expect(sections[2].hasSuffix(ComparisonReport.resultsTable(summary)) && report.contains(ComparisonReport.resultsTable(summary)))
        #expect(report.contains(sections[3]) && sections[3].contains("| uda | Dice | +0.025 |"))
        // n per metric: HD95 is undefined on case a, so its row says 3 cases while Dice has 4.
        #expect(sections[3].contains("| 4 | 3 |") && sections[3].contains("| 3 (1 undefined) | 3 |"))
        #expect(!sections.joined().contains("n/a"))
    }

    @Test func relativePathsClimbToTheCommonFolder() {
        let a = URL(fileURLWithPath: "/w/repo/notebooks-export"), b = URL(fileURLWithPath: "/w/repo/runs/cmp")
        #expect(NotebookExport.relativePath(from: a, to: b) == "../runs/cmp")
        #expect(NotebookExport.relativePath(from: b, to: b) == ".")
    }
}
