import Foundation

/// `RUN/metrics.csv`: one row per epoch (loss parts, lr, validation Dice and loss, seconds), rewritten atomically each epoch.
struct MetricsLog: Codable {
    struct Row: Codable {
        var epoch: Int
        var loss: Double
        var supervised: Double
        var lr: Double
        var validationDice: Double?
        /// The training loss function on the validation cases (nil when the epoch did not validate).
        var validationLoss: Double? = nil
        var seconds: Double
        var extra: [String: Double]
    }
    var rows: [Row] = []

    /// CSV text with a stable column order (extra columns sorted by name).
    func csv() -> String {
        let extraKeys = Array(Set(rows.flatMap { $0.extra.keys })).sorted()
        var s = (["epoch", "loss", "supervised_loss", "lr", "val_dice", "val_loss", "seconds"] + extraKeys).joined(separator: ",") + "\n"
        for r in rows {
            var f = [String(r.epoch), fmt(r.loss), fmt(r.supervised), fmt(r.lr), r.validationDice.map(fmt) ?? "", r.validationLoss.map(fmt) ?? "", String(format: "%.2f", r.seconds)]
            f += extraKeys.map { r.extra[$0].map(fmt) ?? "" }
            s += f.joined(separator: ",") + "\n"
        }
        return s
    }

    /// The rows as the public `EpochMetrics` (for observers).
    func epochMetrics() -> [EpochMetrics] {
        rows.map { EpochMetrics(epoch: $0.epoch, loss: $0.loss, supervisedLoss: $0.supervised, learningRate: $0.lr,
                                validationDice: $0.validationDice, validationLoss: $0.validationLoss, strategyValues: $0.extra) }
    }

    private func fmt(_ v: Double) -> String { String(format: "%.6g", v) }
}
