import Foundation

/// Which epoch's weights `checkpoints/best.safetensors` holds (and test metrics are computed with).
public enum CheckpointSelect: String, ConfigChoice {
    /// The epoch with the highest exponential moving average of the validation Dice (nnU-Net: `ema = 0.9·ema +
    /// 0.1·dice`). Default: with 2-8 validation cases the raw Dice jumps between epochs (0.86 → 0.30 → 0.84 → 0.91
    /// on a real 2D MRI run), so the single best epoch is partly luck; the average needs several good epochs.
    case ema
    /// The epoch with the highest raw validation Dice (the behaviour before issue #20).
    case best
    /// The final epoch, whatever validation says (what SSL4MIS-style fixed-budget runs report when validation is
    /// too small to choose; also what runs without validation cases use).
    case last
}

/// Checkpoint selection state: the running EMA of the validation Dice and the selected epoch. Part of the
/// checkpoint's trainer state, so a resumed run selects exactly as an uninterrupted one.
public struct CheckpointSelection: Codable, Equatable {
    /// nnU-Net's smoothing: `ema ← smoothing·ema + (1 − smoothing)·dice`, the first value taken as is.
    static let smoothing = 0.9
    /// Below this many validation cases `best` gets a warning in the log (the raw Dice of 1-4 slices is noisy).
    static let fewValidationCases = 5

    var mode: CheckpointSelect
    /// EMA of the validation Dice after the latest validation (nil before the first).
    var ema: Double?
    /// Score of the selected epoch (EMA for `ema`, raw Dice for `best`, latest Dice for `last`).
    var selectedScore: Double?

    init(mode: CheckpointSelect) { self.mode = mode }

    /// State for a checkpoint written before selection was stored: its best raw Dice continues as the selected score
    /// (exact for `best`, the closest available for the others).
    init(resumingBest best: Double?, mode: CheckpointSelect) { self.mode = mode; selectedScore = best }

    /// Feeds one validation result (nil = no validation this epoch); returns whether this epoch becomes the selected
    /// checkpoint. `last` selects every epoch, so `best` always holds the latest weights.
    mutating func update(validationDice dice: Double?) -> Bool {
        if let d = dice, d.isFinite { ema = ema.map { Self.smoothing * $0 + (1 - Self.smoothing) * d } ?? d }
        switch mode {
        case .last:
            if let d = dice { selectedScore = d }
            return true
        case .best:
            guard let d = dice, d > (selectedScore ?? -1) else { return false }
            selectedScore = d
            return true
        case .ema:
            guard dice != nil, let e = ema, e > (selectedScore ?? -1) else { return false }
            selectedScore = e
            return true
        }
    }

    /// A log note about the choice for this validation set size (nil when nothing to say).
    public static func note(mode: CheckpointSelect, validationCases n: Int) -> String? {
        if n == 0 { return "note: no validation cases: the final epoch's weights are used (checkpoint selection needs validation)" }
        if mode == .best && n < fewValidationCases {
            return "note: --select best on \(n) validation case(s) picks a lucky epoch; --select ema (default) or last varies less between seeds"
        }
        return nil
    }

    /// How the checkpoint was chosen, in words (`EMA (0.9) of the validation Dice on 8 cases`), for summaries and reports.
    public static func describe(mode: CheckpointSelect, validationCases n: Int) -> String {
        if n == 0 { return "last epoch (no validation cases)" }
        switch mode {
        case .ema: return "highest EMA (\(smoothing)) of the validation Dice on \(n) case\(n == 1 ? "" : "s")"
        case .best: return "highest validation Dice on \(n) case\(n == 1 ? "" : "s")"
        case .last: return "last epoch (validation on \(n) case\(n == 1 ? "" : "s") only logged)"
        }
    }
}
