import ArgumentParser
import Training

// The closed choices of `TrainConfig` as flag values (docs/ARCHITECTURE.md §5): `allValueStrings` (help, shell
// completion) comes from `allCases`. `--select ema|best|last` is parsed by ArgumentParser directly; the others go
// through `choice(_:)`, so a wrong value gets the sentence a config file gets ("loss must be ce, dice, ... got 'x'").
extension CheckpointSelect: ExpressibleByArgument {}
extension NormChoice: ExpressibleByArgument {}
extension UpsamplingChoice: ExpressibleByArgument {}
extension NormalizationChoice: ExpressibleByArgument {}
extension LossChoice: ExpressibleByArgument {}
extension OptimizerChoice: ExpressibleByArgument {}
extension ScheduleChoice: ExpressibleByArgument {}
extension AugmentationPreset: ExpressibleByArgument {}
extension NonFiniteAction: ExpressibleByArgument {}

/// Parses a flag value of the `TrainConfig` setting `key`; a wrong spelling is a `ValidationError` with
/// `ConfigChoice.problem` (e.g. "nonFinite must be stop or skip, got 'ignore'").
func choice<T: ConfigChoice & ExpressibleByArgument>(_ key: String) -> @Sendable (String) throws -> T {
    { value in
        guard let v = T(argument: value) else { throw ValidationError(T.problem(key: key, got: value)) }
        return v
    }
}
