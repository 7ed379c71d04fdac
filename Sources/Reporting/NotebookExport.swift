import Evaluation
import Experiments
import Foundation
import MedIO
import Training

/// Exports a `semiseg compare` folder as a Jupyter notebook (nbformat 4.5): configuration, split and results as
/// markdown, the figures of `RUN/figures/` as embedded PNG outputs, and Python cells that reload `summary.csv`
/// with pandas and re-plot the Dice bars with matplotlib (Agg backend, no network).
public enum NotebookExport {
    /// Writes the notebook to `url` (parent folders created; atomically). Figures missing from `RUN/figures/` are
    /// rendered first with `ComparisonFigures.renderAll` (`maps`: the strategies' declared uncertainty maps).
    public static func write(compareDirectory: URL, to url: URL, maps: [UncertaintyMap] = []) throws {
        let run = compareDirectory.standardizedFileURL
        let folder = try CompareFolder(run)
        let figDir = run.appendingPathComponent("figures")
        if !FileManager.default.fileExists(atPath: figDir.appendingPathComponent("dice_bars.png").path) {
            try ComparisonFigures.renderAll(compareDirectory: run, maps: maps)
        }
        let notebookDir = url.standardizedFileURL.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: notebookDir, withIntermediateDirectories: true)
        var nb = Notebook()
        let name = run.lastPathComponent
        nb.markdown("""
        # SemiSeg comparison: \(name)

        Exported by `semiseg export-notebook` from `\(run.path)`. The tables below come from `summary.json`; \
        the figures are the PNGs in `figures/` (regenerate them with `semiseg figures \(run.path)`). The last \
        cells reload `summary.csv` with pandas and re-plot the Dice bars with matplotlib.
        """)
        for section in reportSections(run, folder: folder) { nb.markdown(section) }
        let rel = relativePath(from: notebookDir, to: run)
        nb.code("""
        # Where the comparison folder is: the absolute path it was exported from, else the same folder relative to
        # this notebook (so a copied repository still works).
        from pathlib import Path
        from IPython.display import Image, display
        RUN = Path(\(pyString(run.path)))
        if not RUN.exists():
            RUN = Path(\(pyString(rel)))
        def show(name):
            path = RUN / "figures" / name
            if path.exists():
                display(Image(filename=str(path)))
            else:
                print(f"{path} is missing; run: semiseg figures {RUN}")
        print(RUN)
        """)
        let figures = ((try? FileManager.default.contentsOfDirectory(atPath: figDir.path)) ?? []).filter { $0.hasSuffix(".png") }
        for (file, heading, text) in figureOrder(figures) {
            nb.markdown("### \(heading)\n\n\(text)")
            let png = try Data(contentsOf: figDir.appendingPathComponent(file))
            nb.code("show(\(pyString(file)))", outputs: [[
                "output_type": "display_data", "metadata": [String: Any](),
                "data": ["image/png": png.base64EncodedString(), "text/plain": ["<IPython.core.display.Image object>"]],
            ]])
        }
        nb.markdown("## Re-plot from `summary.csv`\n\nOne row per strategy, class and metric; `diff_vs_supervised` and `p_value` compare each strategy's per-case values with supervised.")
        nb.code("""
        import pandas as pd
        summary = pd.read_csv(RUN / "summary.csv")
        summary
        """)
        nb.code("""
        import io
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        dice = summary[summary["metric"] == "dice"].copy()
        dice["class"] = dice["class"].astype(str)
        fg = dice[dice["class"].str.lower().isin(["foreground", "foreground_mean", "fg", "mean"])]
        if fg.empty:  # no foreground-mean rows: average the per-class rows
            fg = dice.groupby("strategy", as_index=False, sort=False)[["mean", "std"]].mean()
        fig, ax = plt.subplots(figsize=(1.6 * max(len(fg), 3), 4))
        ax.bar(fg["strategy"], fg["mean"], yerr=fg["std"].fillna(0), capsize=6, color="#1f77b4")
        ax.set_ylim(0, 1)
        ax.set_ylabel("test foreground Dice")
        ax.set_title("Dice per strategy (mean ± std over seeds)")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        plt.close(fig)
        display(Image(data=buf.getvalue()))
        """)
        try nb.save(to: url)
    }

    // MARK: - Markdown tables

    /// The configuration, split, results and difference sections. One source for every number: when the folder holds
    /// a typed `summary.json` and `compare.json` (written by `semiseg compare`), the tables are exactly those of
    /// `report.md` (`ComparisonReport`), so the notebook and the report cannot disagree; a folder with only one of
    /// them (or only cells) gets tables from what it has (`CompareFolder`'s typed files, else the cells).
    static func reportSections(_ run: URL, folder: CompareFolder) -> [String] {
        if let summary = folder.summary, let settings = folder.settings {
            let note = ComparisonReport.seedWarning(seeds: summary.seeds.count).map { "> **Note:** \($0)\n\n" } ?? ""
            return ["## Configuration\n\n" + ComparisonReport.configurationTable(summary: summary, settings: settings),
                    "## Data split\n\n" + splitTable(folder),
                    "## Results (test set, mean ± std over seeds)\n\n" + note + ComparisonReport.resultsTable(summary),
                    ComparisonReport.differenceSection(summary).trimmingCharacters(in: .newlines)]
        }
        return ["## Configuration\n\n" + configurationTable(folder), "## Data split\n\n" + splitTable(folder),
                "## Results (test set)\n\n" + resultsTable(folder)]
    }

    static func configurationTable(_ f: CompareFolder) -> String {
        func object<T: Encodable>(_ v: T) -> [String: Any] {
            (try? JSONEncoder().encode(v)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        }
        var settings = f.settings.map(object) ?? [:]
        if settings.isEmpty, let config = f.strategies.lazy.compactMap({ f.cells[$0]?.first }).compactMap(f.cellConfig).first { settings = object(config) }
        guard !settings.isEmpty else { return "_No compare.json found._" }
        var rows = ["| setting | value |", "|---|---|"]
        for (k, v) in flatten(settings).sorted(by: { $0.key < $1.key }) { rows.append("| \(escape(k)) | \(escape(compactJSON(v))) |") }
        return rows.joined(separator: "\n")
    }

    static func splitTable(_ f: CompareFolder) -> String {
        guard let split = f.split else { return "_No split.json found._" }
        var rows = ["| partition | cases | ids |", "|---|---|---|"]
        for (p, ids) in [("labeled", split.labeled), ("unlabeled", split.unlabeled), ("validation", split.validation), ("test", split.test)] {
            let shown = ids.prefix(12).map(NiftiFiles.stem).joined(separator: ", ") + (ids.count > 12 ? ", ..." : "")
            rows.append("| \(p) | \(ids.count) | \(escape(shown)) |")
        }
        rows.append("\nSplit seed: \(split.seed). Every strategy and seed trains and tests on this same split.")
        return rows.joined(separator: "\n")
    }

    /// The results of a folder without a typed summary and settings pair (`reportSections`): from `summary.json`
    /// where it exists, else from the cells.
    static func resultsTable(_ f: CompareFolder) -> String {
        var rows = ["| strategy | foreground Dice (mean ± std) | seeds | ECE | Brier | train s | Dice diff vs supervised | p |", "|---|---|---|---|---|---|---|---|"]
        for s in f.strategies {
            let b = f.strategySummary(s), d = f.foregroundDice(s)
            let dice = d.mean.map { m in String(format: "%.3f", m) + (d.std.map { String(format: " ± %.3f", $0) } ?? "") } ?? "n/a"
            // `vs_supervised` is per class, then per metric; the first foreground class.
            let vs = b?.vsSupervised.flatMap { v in v.keys.sorted().first(where: { $0 != "0" }).flatMap { v[$0]?[Metric.dice.rawValue] } }
            rows.append("| \(escape(s)) | \(dice) | \(d.seeds.count) | \(fmt(b?.ece.mean)) | \(fmt(b?.brier.mean)) | "
                + "\(b.map { String(format: "%.0f", $0.trainSeconds) } ?? "n/a") | \(vs?.diff.map { String(format: "%+.3f", $0) } ?? (s == "supervised" ? "(reference)" : "n/a")) | \(fmt(vs?.pValue)) |")
        }
        return rows.joined(separator: "\n") + "\n\nDice on the held-out test cases, averaged over foreground classes; ± is the standard deviation over seeds."
    }

    /// Nested objects as dotted keys (`base.epochs`), so a configuration reads as one row per setting.
    static func flatten(_ d: [String: Any], prefix: String = "") -> [String: Any] {
        var out: [String: Any] = [:]
        for (k, v) in d {
            if let sub = v as? [String: Any], !sub.isEmpty { out.merge(flatten(sub, prefix: prefix + k + "."), uniquingKeysWith: { a, _ in a }) }
            else { out[prefix + k] = v }
        }
        return out
    }

    static func fmt(_ v: Double?) -> String { v.map { String(format: "%.3g", $0) } ?? "n/a" }
    static func escape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
    static func compactJSON(_ v: Any) -> String {
        if let s = v as? String { return s }
        if JSONSerialization.isValidJSONObject(v), let d = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .withoutEscapingSlashes]) {
            return String(decoding: d, as: UTF8.self)
        }
        return "\(v)"
    }

    /// Figure files with a heading and one explanatory sentence, in reading order.
    static func figureOrder(_ files: [String]) -> [(String, String, String)] {
        func rank(_ f: String) -> Int {
            ["dice_bars", "curves", "montage_", "uncertainty_", "mc_mask_sum_"].firstIndex { f.hasPrefix($0) } ?? 9
        }
        return files.sorted { (rank($0), $0) < (rank($1), $1) }.map { f in
            let stem = String(f.dropLast(4))
            if f.hasPrefix("dice_bars") { return (f, "Dice per strategy", "Bars are the mean test foreground Dice over seeds, whiskers ± 1 standard deviation, dots the single seeds.") }
            if f.hasPrefix("curves") { return (f, "Training curves", "Training loss and validation Dice per epoch, one line per strategy (first seed).") }
            if f.hasPrefix("montage_") { return (f, "Segmentations: \(stem.dropFirst(8))", "Per strategy: image, ground truth, and prediction with the ground-truth boundary in yellow, on the slice with most foreground.") }
            if f.hasPrefix("uncertainty_") { return (f, "Uncertainty maps: \(stem.dropFirst(12))", "Bright = uncertain. Entropy-type maps share the range 0 to ln K nats.") }
            if f.hasPrefix("mc_mask_sum_") { return (f, "MC dropout mask sum: \(stem.dropFirst(12))", "Number of the T stochastic passes that predict foreground: white = certain centre, grey = uncertain border.") }
            return (f, stem, "")
        }
    }

    /// A Python string literal.
    static func pyString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// `to` relative to the folder `from` (both absolute), e.g. `../runs/cmp`.
    static func relativePath(from: URL, to: URL) -> String {
        let a = from.standardizedFileURL.pathComponents, b = to.standardizedFileURL.pathComponents
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        let parts = Array(repeating: "..", count: a.count - i) + b[i...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}

/// An nbformat 4.5 notebook under construction.
struct Notebook {
    private var cells: [[String: Any]] = []

    /// Splits text into nbformat source lines (each but the last keeps its newline).
    private func lines(_ text: String) -> [String] {
        let parts = text.components(separatedBy: "\n")
        return parts.enumerated().map { $0.offset < parts.count - 1 ? $0.element + "\n" : $0.element }
    }

    mutating func markdown(_ text: String) {
        cells.append(["cell_type": "markdown", "id": "cell-\(cells.count)", "metadata": [String: Any](), "source": lines(text)])
    }

    mutating func code(_ text: String, outputs: [[String: Any]] = []) {
        cells.append(["cell_type": "code", "id": "cell-\(cells.count)", "metadata": [String: Any](), "source": lines(text),
                      "execution_count": NSNull(), "outputs": outputs])
    }

    func save(to url: URL) throws {
        let nb: [String: Any] = [
            "nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": [
                "kernelspec": ["name": "python3", "display_name": "Python 3", "language": "python"],
                "language_info": ["name": "python"],
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: nb, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        // Atomic: a temporary file in the same folder renamed over the final name (an existing notebook stays readable
        // until the new one replaces it).
        do { try writeAtomically(data, to: url) } catch {
            throw MedIOError(url.path, "could not write the notebook: \(error)")
        }
    }
}
