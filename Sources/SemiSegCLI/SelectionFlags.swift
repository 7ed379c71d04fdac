import ArgumentParser
import Training

/// `--select ema|best|last`.
extension CheckpointSelect: @retroactive ExpressibleByArgument {}
