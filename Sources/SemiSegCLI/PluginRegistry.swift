import BCPPlugin
import CPSPlugin
import EnsemblePlugin
import FixMatchPlugin
import MCDropoutPlugin
import MeanTeacherPlugin
import PseudoLabelPlugin
import SupervisedPlugin
import UAMTPlugin
import UDAPlugin
import Training

/// Every strategy the CLI knows, in the order `semiseg strategies` lists them.
/// Adding a strategy: a folder under `Plugins/`, one target line in Package.swift, one line here.
let registeredStrategies: [any Strategy.Type] = [
    Supervised.self,
    UDA.self,
    PseudoLabel.self,
    MCDropout.self,
    CheckpointEnsemble.self,
    MeanTeacher.self,
    FixMatch.self,
    CPS.self,
    UAMT.self,
    BCP.self,
]

/// The uncertainty maps the registered strategies declare, for figures (`Strategy.uncertaintyMaps`).
let declaredUncertaintyMaps: [UncertaintyMap] = registeredStrategies.flatMap { $0.uncertaintyMaps }

/// Looks up a strategy type by its registry name.
func strategyType(named name: String) -> (any Strategy.Type)? {
    registeredStrategies.first { $0.name == name }
}

/// Instantiates a registered strategy and rejects unknown or invalid options.
func makeStrategy(_ name: String, _ options: StrategyOptions) throws -> any Strategy {
    guard let type = strategyType(named: name) else {
        throw CLIError(file: "semiseg", problem: "unknown strategy '\(name)' (known: \(registeredStrategies.map { $0.name }.joined(separator: ", ")))")
    }
    let s = try type.init(options: options)
    try options.finish()
    return s
}
