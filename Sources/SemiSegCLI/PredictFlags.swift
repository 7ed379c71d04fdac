import Training

/// The strategies whose `predictOptions` take `--<flag>`, as "a or --strategy b" for messages and help.
func strategies(takingPredictFlag flag: String) -> String {
    registeredStrategies.filter { $0.predictOptions.contains { $0.flag == flag } }.map { $0.name }.joined(separator: " or --strategy ")
}

/// Sets the strategy option behind an inference flag of `semiseg predict` (`Strategy.predictOptions`) in `options`.
/// - Throws: `CLIError` when the run's strategy does not take the flag, or the value is below its minimum.
func applyPredictFlag(_ flag: String, _ value: Int, strategy: String, runFolder: String, to options: inout [String: String]) throws {
    guard let option = strategyType(named: strategy)?.predictOptions.first(where: { $0.flag == flag }) else {
        throw CLIError(file: runFolder, problem: "--\(flag) needs a run trained with --strategy \(strategies(takingPredictFlag: flag)) (this run used \(strategy))")
    }
    guard value >= option.minimum else { throw CLIError(file: "semiseg", problem: "--\(flag) must be >= \(option.minimum)") }
    options[option.key] = String(value)
}
