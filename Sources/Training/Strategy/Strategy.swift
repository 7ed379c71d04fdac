import Engine
import NN

/// Whether training goes on after a hook.
public enum TrainingControl: Sendable {
    /// Keep training.
    case `continue`
    /// Stop after this epoch (early stopping); the run finishes normally.
    case stop
}

/// A semi-supervised strategy: the base trainer plus a few hooks (docs/ARCHITECTURE.md §4).
///
/// Every hook has a default no-op, so a strategy implements only what it changes. Hooks receive the shared
/// `RunContext` (a reference: model, optimizer, data, RNG, log) and, per step, a `StepContext`.
/// Control flow is returned (`TrainingControl`), never thrown; thrown errors are real failures.
public protocol Strategy: AnyObject {
    /// Registry name, e.g. "uda", "pseudo-label".
    static var name: String { get }
    /// One line for `semiseg strategies`.
    static var summary: String { get }
    /// Reads and validates typed options (unknown keys are rejected by the trainer via `options.finish()`).
    init(options: StrategyOptions) throws
    /// Inference options `semiseg predict` may override with a flag (e.g. the number of stochastic passes).
    /// Default: none (StrategyInference.swift).
    static var predictOptions: [PredictOption] { get }
    /// The maps `predict` writes besides the predictive entropy, for figures and notebooks. Default: none.
    static var uncertaintyMaps: [UncertaintyMap] { get }

    /// Whether each step should also draw an unlabeled batch (default false).
    var wantsUnlabeledBatch: Bool { get }
    /// Whether test evaluation loads the last checkpoint instead of the best-validation one (default false).
    /// Snapshot ensembles set it: their members accumulate until the end of the run.
    var evaluatesLastCheckpoint: Bool { get }
    /// Adjusts the network spec before it is built (e.g. MC dropout sets its dropout plan); the network may be any
    /// registered one (docs/ARCHITECTURE.md §4). Default: unchanged.
    func configure(model: inout NetworkSpec)
    /// Called once before the first epoch (after the model, optimizer and data exist; also after a resume).
    func willStartRun(_ run: RunContext) throws
    /// Called at the start of every epoch.
    func willStartEpoch(_ run: RunContext) throws
    /// Replaces the supervised loss on the labeled batch (e.g. UDA's training-signal annealing). nil = default loss.
    func supervisedLoss(_ step: StepContext) throws -> Tensor?
    /// Extra loss on this step (e.g. consistency on the unlabeled batch), added to the supervised loss. nil = none.
    func additionalLoss(_ step: StepContext) throws -> Tensor?
    /// After the optimizer update (e.g. Mean Teacher's EMA update).
    func didFinishStep(_ run: RunContext, _ step: StepContext) throws
    /// After validation and checkpointing of an epoch (e.g. snapshot ensembling).
    func didFinishEpoch(_ run: RunContext) throws -> TrainingControl
    /// Inference override (MC sampling, ensembles): class probabilities and uncertainty for one image
    /// `[C, D, H, W]`. nil = the trainer's plain sliding-window prediction.
    func predict(_ image: Tensor, _ run: RunContext) throws -> Prediction?
    /// Strategy state saved in checkpoints (e.g. teacher weights, snapshot list) for exact resume.
    func stateDict() -> [String: Tensor]
    /// Restores `stateDict()`.
    func load(stateDict: [String: Tensor]) throws
}

extension Strategy {
    public static var predictOptions: [PredictOption] { [] }
    public static var uncertaintyMaps: [UncertaintyMap] { [] }
    public var wantsUnlabeledBatch: Bool { false }
    public var evaluatesLastCheckpoint: Bool { false }
    public func configure(model: inout NetworkSpec) {}
    public func willStartRun(_ run: RunContext) throws {}
    public func willStartEpoch(_ run: RunContext) throws {}
    public func supervisedLoss(_ step: StepContext) throws -> Tensor? { nil }
    public func additionalLoss(_ step: StepContext) throws -> Tensor? { nil }
    public func didFinishStep(_ run: RunContext, _ step: StepContext) throws {}
    public func didFinishEpoch(_ run: RunContext) throws -> TrainingControl { .continue }
    public func predict(_ image: Tensor, _ run: RunContext) throws -> Prediction? { nil }
    public func stateDict() -> [String: Tensor] { [:] }
    public func load(stateDict: [String: Tensor]) throws {}
}

/// Sigmoid ramp-up `exp(-5 (1 - t)^2)` for t in [0, 1] (Laine & Aila; used by Mean Teacher, UDA, pseudo-labels).
public func sigmoidRampUp(_ progress: Double) -> Double {
    let t = min(max(progress, 0), 1)
    return _exp(-5 * (1 - t) * (1 - t))
}

/// A consistency weight ramped in over the first `rampUp` fraction of the run: `weight · sigmoidRampUp(progress /
/// rampUp)`, or `weight` throughout when `rampUp` is 0. `progress` is the run's fraction done, in [0, 1].
public func rampedWeight(_ weight: Double, progress: Double, rampUp: Double) -> Double {
    weight * (rampUp > 0 ? sigmoidRampUp(progress / rampUp) : 1)
}
