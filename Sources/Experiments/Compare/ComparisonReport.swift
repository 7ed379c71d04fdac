import Evaluation
import Foundation
import Training

/// `RUN/report.md`: the configuration, a results table (mean ± std over seeds) and the paired differences to
/// `supervised`: the crossed seeds × cases t-test (the verdict), the bootstrap and the case-level Wilcoxon p-values.
public enum ComparisonReport {
    /// The metrics of the tables: overlap (higher is better) and surface distances in mm (lower is better).
    static let tableMetrics: [(Metric, String, Int)] = [(.dice, "Dice", 3), (.iou, "IoU", 3), (.hd95, "HD95 mm", 2), (.assd, "ASSD mm", 2)]

    /// The Markdown text. `figures`: PNG paths relative to the comparison folder (`figures/dice.png`), linked at the end.
    public static func markdown(summary: ComparisonSummary, settings: CompareSettings, figures: [String] = []) -> String {
        let sp = summary.split
        var md = "# Comparison of \(summary.order.count) strategies\n\n"
        md += "Every strategy trained on the same split, model, budget and seeds; test metrics on \(sp.test.count) held-out cases.\n\n"
        if let w = seedWarning(seeds: summary.seeds.count) { md += "> **Note:** \(w)\n\n" }
        md += "## Configuration\n\n" + configurationTable(summary: summary, settings: settings)
        md += "\n## Results (test set, mean ± std over seeds)\n\n" + resultsTable(summary) + semanticTable(summary)
        md += differenceSection(summary, classes: foregroundClasses(summary))

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

    /// The configuration as a two-column Markdown table (plus the missing cells, if any). The notebook export shows
    /// the same table.
    public static func configurationTable(summary: ComparisonSummary, settings: CompareSettings) -> String {
        let b = settings.base, sp = summary.split
        var md = "| setting | value |\n| --- | --- |\n"
        var rows: [(String, String)] = [
            ("data", "`\(b.data)`"),
            ("strategies", settings.strategies.joined(separator: ", ")),
            ("seeds", settings.seeds.map(String.init).joined(separator: ", ")),
            ("split (cases)", "\(sp.labeled.count) labeled, \(sp.unlabeled.count) unlabeled, \(sp.validation.count) validation, \(sp.test.count) test (`split.json`)"),
            ("checkpoint selection", CheckpointSelection.describe(mode: b.select, validationCases: sp.validation.count)),
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
        return md
    }

    /// Mean ± std over seeds per strategy (test set), with the reading note.
    public static func resultsTable(_ summary: ComparisonSummary) -> String {
        let classes = foregroundClasses(summary)
        var md = ""
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
        return md
    }

    /// The warning `compare` prints and the report carries when fewer than `verdictSeeds` seeds are compared.
    public static func seedWarning(seeds: Int) -> String? {
        guard seeds < ComparisonSummary.verdictSeeds else { return nil }
        if seeds <= 1 {
            return "one seed: training variance (initialisation, data order, augmentation) is not captured. "
                + "The case-level p-values below only measure case-to-case variation and are far too confident; "
                + "they are not a verdict. Use --seeds 0,1,2 (or more) for a t-test over seeds and cases."
        }
        return "\(seeds) seeds: one degree of freedom for training noise, the t interval over seeds is very wide and no "
            + "difference is marked significant; use 3 or more (--seeds 0,1,2; 5 for power)."
    }

    /// The paired differences to `supervised`: one row per strategy (and class) and metric with the mean difference,
    /// its seed std, the t-test interval and p-value (the verdict), the bootstrap p-value, the case-level Wilcoxon
    /// p-value and the number of cases.
    public static func differenceSection(_ summary: ComparisonSummary, classes: [String]? = nil) -> String {
        let classes = classes ?? foregroundClasses(summary)
        var md = "\n## Difference to supervised (paired by seed and test case)\n\n"
        let others = summary.order.filter { $0 != "supervised" && summary.strategies[$0]?.vsSupervised != nil }
        if summary.strategies["supervised"] == nil {
            return md + "No `supervised` baseline in this comparison; add it to `--strategies` to get differences and p-values.\n"
        }
        if others.isEmpty { return md + "Only the baseline finished.\n" }
        let verdicts = summary.seeds.count >= ComparisonSummary.verdictSeeds
        var h = ["strategy"]
        if classes.count > 1 { h.append("class") }
        h += ["metric", "Δ", "seed std of Δ", "95% CI (t, seeds × cases)", "p (t-test)", "p (bootstrap)", "p (Wilcoxon, cases)", "n cases", "seeds"]
        md += "| " + h.joined(separator: " | ") + " |\n|" + String(repeating: " --- |", count: h.count) + "\n"
        for s in others {
            guard let v = summary.strategies[s]?.vsSupervised else { continue }
            for c in classes {
                for (m, name, digits) in tableMetrics {
                    guard let d = v[c]?[m.rawValue] else { continue }
                    var cells = [s]
                    if classes.count > 1 { cells.append(className(c, summary)) }
                    let b: BootstrapResult? = d.bootstrap
                    let t: CrossedTTestResult? = d.tTest
                    var ci = "-"
                    if let t {
                        ci = "[" + signed(t.ciLow, digits) + ", " + signed(t.ciHigh, digits) + "]"
                        // Δ averages each seed's defined pairs; the t-test keeps only cases defined in every seed.
                        if let dd = d.diff, signed(dd, digits) != signed(t.estimate, digits) {
                            ci += " around " + signed(t.estimate, digits) + " (\(t.cases) cases defined in every seed)"
                        }
                    }
                    let diff: String = d.diff.map { signed($0, digits) } ?? "-"
                    let sd: String = d.seedStd.map { String(format: "%.\(digits)f", $0) } ?? "-"
                    let n: String = String(d.n) + (d.dropped > 0 ? " (\(d.dropped) undefined)" : "")
                    let seeds: String = d.seeds.map { String($0) } ?? "-"
                    cells += [name, diff, sd, ci, pText(t?.pValue, bold: verdicts), pText(b?.pValue, bold: false), pText(d.pValue, bold: false), n, seeds]
                    md += "| " + cells.joined(separator: " | ") + " |\n"
                }
            }
        }
        let minP = summary.split.test.count >= 1 ? 2 / pow(2, Double(summary.split.test.count)) : 1
        let bold: String = verdicts ? "p < 0.05 is shown in bold. " : "it is shown in bold only with 3 or more seeds (none here). "
        let smallest: String = String(format: "With %d test cases its smallest possible p is %.2g. ", summary.split.test.count, min(minP, 1))
        var guide = "\nΔ = strategy − supervised (for HD95/ASSD a negative Δ is an improvement), averaged over test cases and seeds. "
        guide += "**Which test is which:** the *t-test* treats training seeds and test cases as two crossed sources of noise "
        guide += "(random effects, paired by seed and case; Satterthwaite degrees of freedom, about seeds − 1 when training noise "
        guide += "dominates), so its interval and p-value include the run-to-run variance of training (initialisation, data order, "
        guide += "augmentation, checkpoint choice) and stay calibrated with 3-5 seeds; it is the verdict, and " + bold
        guide += "The *bootstrap* resamples the same two levels but, with few seeds, cannot see seed variance it did not sample "
        guide += "and is too confident (shown for reference, never bold). "
        guide += "*seed std of Δ* is the spread of the difference between seeds: a Δ smaller than it is within training noise. "
        guide += "Where a metric is undefined for some cases in some seeds (HD95/ASSD of an empty prediction), Δ averages each "
        guide += "seed's defined pairs while the t-test and the bootstrap use only the cases defined in every seed; the CI column "
        guide += "then names the t-test's own estimate. "
        guide += "The *Wilcoxon* signed-rank test over the n test cases (seed-averaged) sees only case-to-case variation: it is "
        guide += "never a verdict on its own and is never bold. " + smallest
        guide += "n cases = test cases where the metric is defined for both strategies (HD95/ASSD are undefined on empty masks).\n"
        md += guide
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

    /// `0.012`, `<0.001`, `-`; bold below 0.05 only when `bold` (a verdict the comparison can support).
    static func pText(_ p: Double?, bold: Bool) -> String {
        guard let p, p.isFinite else { return "-" }
        let text = p < 0.001 ? "<0.001" : String(format: "%.3f", p)
        return bold && p < 0.05 ? "**\(text)**" : text
    }
}
