import Foundation

/// `RUN/metrics.csv`: one row per epoch (loss parts, lr, validation Dice, seconds), rewritten atomically each epoch.
struct MetricsLog: Codable {
    struct Row: Codable {
        var epoch: Int
        var loss: Double
        var supervised: Double
        var lr: Double
        var validationDice: Double?
        var seconds: Double
        var extra: [String: Double]
        /// EMA (0.9) of the validation Dice after this epoch, the value `--select ema` ranks (CheckpointSelection).
        var validationDiceEMA: Double? = nil
    }
    var rows: [Row] = []

    /// CSV text with a stable column order (extra columns sorted by name).
    func csv() -> String {
        let extraKeys = Array(Set(rows.flatMap { $0.extra.keys })).sorted()
        var s = (["epoch", "loss", "supervised_loss", "lr", "val_dice", "seconds", "val_dice_ema"] + extraKeys).joined(separator: ",") + "\n"
        for r in rows {
            var f = [String(r.epoch), fmt(r.loss), fmt(r.supervised), fmt(r.lr), r.validationDice.map(fmt) ?? "", String(format: "%.2f", r.seconds), r.validationDiceEMA.map(fmt) ?? ""]
            f += extraKeys.map { r.extra[$0].map(fmt) ?? "" }
            s += f.joined(separator: ",") + "\n"
        }
        return s
    }

    private func fmt(_ v: Double) -> String { String(format: "%.6g", v) }
}
