import Evaluation
import Foundation

/// `RUN/report.md`: the configuration, a results table (mean ± std over seeds) and the paired differences to
/// `supervised` with Wilcoxon p-values.
public enum ComparisonReport {
    /// The metrics of the tables: overlap (higher is better) and surface distances in mm (lower is better).
    static let tableMetrics: [(Metric, String, Int)] = [(.dice, "Dice", 3), (.iou, "IoU", 3), (.hd95, "HD95 mm", 2), (.assd, "ASSD mm", 2)]

    /// The Markdown text. `figures`: PNG paths relative to the comparison folder (`figures/dice.png`), linked at the end.
    public static func markdown(summary: ComparisonSummary, settings: CompareSettings, figures: [String] = []) -> String {
        let b = settings.base, sp = summary.split
        var md = "# Comparison of \(summary.order.count) strategies\n\n"
        md += "Every strategy trained on the same split, model, budget and seeds; test metrics on \(sp.test.count) held-out cases.\n\n"
        md += "## Configuration\n\n"
        md += "| setting | value |\n| --- | --- |\n"
        var rows: [(String, String)] = [
            ("data", "`\(b.data)`"),
            ("strategies", settings.strategies.joined(separator: ", ")),
            ("seeds", settings.seeds.map(String.init).joined(separator: ", ")),
            ("split (cases)", "\(sp.labeled.count) labeled, \(sp.unlabeled.count) unlabeled, \(sp.validation.count) validation, \(sp.test.count) test (`split.json`)"),
            ("model", "\(b.model), base \(b.base), depth \(b.depth), \(b.norm) norm, \(b.upsampling)"),
            ("budget", "\(b.epochs) epochs x \(b.iterationsPerEpoch) steps, batch \(b.batchSize) labeled + \(b.unlabeledBatchSize) unlabeled"),
            ("optimisation", "\(b.optimizer), lr \(b.learningRate), \(b.schedule) schedule, \(b.loss) loss, augmentation \(b.augmentation)"),
            ("input", "patch \(b.patch.map { $0.map(String.init).joined(separator: "x") } ?? "whole volume")"
                + (b.resize.map { ", resized to \($0.map(String.init).joined(separator: "x"))" } ?? "")
                + (b.spacing.map { ", spacing \($0.map { String($0) }.joined(separator: ","))" } ?? "") + ", \(b.normalization) normalisation"),
        ]
        for s in settings.strategies { if let o = settings.strategyOptions[s], !o.isEmpty {
            rows.append(("\(s) options", o.keys.sorted().map { "\($0)=\(o[$0] ?? "")" }.joined(separator: ", ")))
        } }
        for (k, v) in rows { md += "| \(k) | \(v) |\n" }
        if !summary.missingCells.isEmpty {
            md += "\n**Missing cells** (failed or not yet run; re-run the same command to finish them): \(summary.missingCells.joined(separator: ", "))\n"
        }

        let classes = foregroundClasses(summary)
        md += "\n## Results (test set, mean ± std over seeds)\n\n"
        var header = ["strategy"]
        for c in classes { for (_, name, _) in tableMetrics { header.append(classes.count > 1 ? "\(name) (\(className(c, summary)))" : name) } }
        header += ["ECE", "Brier", "train s"]
        md += "| " + header.joined(separator: " | ") + " |\n|" + String(repeating: " --- |", count: header.count) + "\n"
        for s in summary.order {
            guard let r = summary.strategies[s] else { continue }
            var cells = [s]
            for c in classes { for (m, _, digits) in tableMetrics { cells.append(fmt(r.mean[c]?[m.rawValue], digits)) } }
            cells += [fmt(r.ece, 4), fmt(r.brier, 4), fmt(MeanStd(r.perSeed.map(\.trainSeconds)), 0)]
            md += "| " + cells.joined(separator: " | ") + " |\n"
        }
        md += "\nECE/Brier: 15-bin expected calibration error and Brier score over all test voxels (lower is better; "
            + "`-` = no probabilities). HD95/ASSD in mm (lower is better). std needs two or more seeds.\n"

        md += semanticTable(summary)
        md += "\n## Difference to supervised (paired over test cases)\n\n"
        let others = summary.order.filter { $0 != "supervised" && summary.strategies[$0]?.vsSupervised != nil }
        if summary.strategies["supervised"] == nil {
            md += "No `supervised` baseline in this comparison; add it to `--strategies` to get differences and p-values.\n"
        } else if others.isEmpty {
            md += "Only the baseline finished.\n"
        } else {
            var h = ["strategy"]
            for c in classes { for (_, name, _) in tableMetrics { h += [(classes.count > 1 ? "Δ\(name) (\(className(c, summary)))" : "Δ\(name)"), "p"] } }
            h.append("n")
            md += "| " + h.joined(separator: " | ") + " |\n|" + String(repeating: " --- |", count: h.count) + "\n"
            for s in others {
                guard let v = summary.strategies[s]?.vsSupervised else { continue }
                var cells = [s]
                var n = 0
                for c in classes {
                    for (m, _, digits) in tableMetrics {
                        let d = v[c]?[m.rawValue]
                        cells += [d?.diff.map { signed($0, digits) } ?? "-", pText(d?.pValue)]
                        n = max(n, d?.n ?? 0)
                    }
                }
                cells.append(String(n))
                md += "| " + cells.joined(separator: " | ") + " |\n"
            }
            let minP = summary.split.test.count >= 1 ? 2 / pow(2, Double(summary.split.test.count)) : 1
            md += "\nΔ = strategy − supervised, per test case averaged over seeds; p = two-sided paired Wilcoxon signed-rank "
                + "test over the n test cases. **p < 0.05: the difference is unlikely to be noise; a larger p means this "
                + "comparison cannot tell it from chance.** "
                + String(format: "With %d test cases the smallest possible p is %.2g.", summary.split.test.count, min(minP, 1))
                + " For HD95/ASSD a negative Δ is an improvement.\n"
        }

        if !figures.isEmpty {
            md += "\n## Figures\n\n"
            for f in figures {
                let name = (f as NSString).lastPathComponent.replacingOccurrences(of: ".png", with: "")
                md += "![\(name)](\(f))\n\n"
            }
        }
        md += "\nFiles: `summary.json` (all numbers), `summary.csv` (one row per strategy, class and metric), "
            + "`cells/<strategy>-seed<S>/` (each run: config, metrics.csv, predictions, checkpoints).\n"
        return md
    }

    /// Foreground class keys present in any strategy, numerically sorted.
    static func foregroundClasses(_ s: ComparisonSummary) -> [String] {
        let keys = Set(s.strategies.values.flatMap { $0.mean.keys }).filter { $0 != "0" }
        return keys.sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }
    }

    static func className(_ key: String, _ s: ComparisonSummary) -> String { s.labels[key] ?? "class \(key)" }

    /// `0.912 ± 0.010`, `0.912` for one seed, `-` without values.
    static func fmt(_ v: MeanStd?, _ digits: Int) -> String {
        guard let v, let m = v.mean, m.isFinite else { return "-" }
        let f = "%.\(digits)f"
        if let s = v.std, s.isFinite { return String(format: f, m) + " ± " + String(format: f, s) }
        return String(format: f, m)
    }

    static func signed(_ v: Double, _ digits: Int) -> String { String(format: "%+.\(digits)f", v) }

    static func pText(_ p: Double?) -> String {
        guard let p, p.isFinite else { return "-" }
        if p < 0.001 { return "**<0.001**" }
        return String(format: p < 0.05 ? "**%.3f**" : "%.3f", p)
    }
}
