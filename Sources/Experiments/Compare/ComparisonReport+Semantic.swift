import Training

extension ComparisonReport {
    /// The 2D summary metrics, one row per strategy (mean ± std over seeds), as a markdown section; empty when no run
    /// summary has them.
    static func semanticTable(_ summary: ComparisonSummary) -> String {
        let columns: [(key: String, name: String)] = [("mean_iou", "mean IoU"), ("mean_dice", "mean Dice"), ("mean_accuracy", "mean acc"),
                                                      ("frequency_weighted_iou", "FreqW IoU"), ("overall_accuracy", "overall acc")]
        let rows = summary.order.compactMap { s in summary.strategies[s]?.semantic.map { (s, $0) } }
        guard !rows.isEmpty else { return "" }
        var md = "\n## 2D summary metrics (test set, pixel-pooled over all cases and classes incl. background)\n\n"
        md += "| strategy | " + columns.map(\.name).joined(separator: " | ") + " |\n|" + String(repeating: " --- |", count: columns.count + 1) + "\n"
        for (s, sem) in rows { md += "| \(s) | " + columns.map { fmt(sem[$0.key], 3) }.joined(separator: " | ") + " |\n" }
        md += "\nAs the FCN/DeepLab evaluation prints them (`label_accuracy_score`; DeepLab's \"FreqW Acc\" is the "
            + "frequency-weighted IoU), from one confusion matrix over every test voxel; per seed in summary.json.\n"
        return md
    }
}
