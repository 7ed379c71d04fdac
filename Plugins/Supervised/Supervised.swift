import Engine
import Training

/// The baseline: supervised training on the labeled cases only, with the run's configured loss
/// (cross-entropy, Dice, Dice+CE or Top-K CE). Every semi-supervised strategy is compared against it.
public final class Supervised: Strategy {
    public static let name = "supervised"
    public static let summary = "Baseline: supervised loss on labeled cases only (unlabeled cases unused)"

    /// Takes no options; any given is an error.
    public init(options: StrategyOptions) throws {
        try options.finish()
    }
}
