import Engine
import Foundation
import Training

/// Shared by the FixMatch / CPS / UA-MT / BCP tests: a trainer on the toy data, and the final weights of a run that
/// is interrupted before `crashBeforeEpoch` (nil = never) and optionally resumed.
func strategyTrainer(_ s: any Strategy, dir: URL, epochs: Int = 2, config: ((inout TrainConfig) -> Void)? = nil) throws -> Trainer {
    var cfg = toyConfig(dir, epochs: epochs)
    config?(&cfg)
    return try Trainer(config: cfg, strategy: s, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
}

/// Trains `make()` for 3 epochs in `dir` (crashing before epoch `crashBeforeEpoch` when given) and returns the model's
/// weights followed by the strategy's state, sorted by key (empty after a simulated crash).
func strategyRunWeights(_ make: () throws -> any Strategy, dir: URL, crashBeforeEpoch: Int?, resume: Bool) throws -> [Float] {
    let inner = try make()
    let s = MeanTeacherCrashing(inner, beforeEpoch: crashBeforeEpoch)
    let t = try strategyTrainer(s, dir: dir, epochs: 3) { $0.augmentation = .standard }
    do { _ = try t.train(resume: resume) } catch is MeanTeacherSimulatedCrash { return [] }
    return t.run.model.parameters().flatMap { $0.scalars } + inner.stateDict().sorted { $0.key < $1.key }.flatMap { $0.value.scalars }
}

/// Whether an interrupted and resumed run ends bit-identical to an uninterrupted one.
func resumesExactly(_ make: () throws -> any Strategy, crashBeforeEpoch: Int = 2) throws -> Bool {
    let a = tempRunDir(), c = tempRunDir()
    defer { for d in [a, c] { try? FileManager.default.removeItem(at: d) } }
    let full = try strategyRunWeights(make, dir: a, crashBeforeEpoch: nil, resume: false)
    _ = try strategyRunWeights(make, dir: c, crashBeforeEpoch: crashBeforeEpoch, resume: false)
    let resumed = try strategyRunWeights(make, dir: c, crashBeforeEpoch: nil, resume: true)
    return !full.isEmpty && resumed == full
}
