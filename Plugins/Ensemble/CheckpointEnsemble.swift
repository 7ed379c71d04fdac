import Engine
import Evaluation
import NN
import Training

/// Snapshot (checkpoint) ensembling within one run (Huang et al. 2017, "Snapshot Ensembles"): weight snapshots are
/// taken during training — at the end of every cosine warm-restart cycle, or every k epochs — and the last `members`
/// of them are combined at inference.
///
/// Options (`--opt key=value`):
/// - `members` (3, 1...20): snapshots kept (the most recent ones);
/// - `every` (0 = auto, 0...10000): snapshot interval in epochs. Auto: `cycle_epochs` when the run's schedule is
///   `cosine-restarts` (one snapshot per cycle end), otherwise `max(1, epochs / members)`. The final epoch is always
///   snapshotted;
/// - `mode` (`mean`): `mean`, `vote` or `dice-weighted` (see `EnsembleMode`);
/// - `threshold` (0.5, 0...1): two-class `dice-weighted` foreground threshold as a fraction of the total weight.
///
/// Each member's weight is the validation foreground Dice of the epoch it was taken at (computed for the snapshot
/// when that epoch was not validated; 1 without validation cases). Members live in the strategy state, so they are
/// in every checkpoint (exact resume), and test evaluation uses the last checkpoint (`evaluatesLastCheckpoint`).
/// During training, validation measures the current network alone (that Dice becomes the member weight); the
/// ensemble predicts once the run has finished.
public final class CheckpointEnsemble: Strategy {
    public static let name = "checkpoint-ensemble"
    /// Member disagreement and probability variance (`EnsembleCombiner`).
    public static let uncertaintyMaps = EnsembleCombiner.uncertaintyMaps
    public static let summary = "Snapshot ensemble of one run (cosine restarts or every k epochs); mean, vote or Dice-weighted vote"

    public let maxMembers: Int
    public let every: Int
    public let combiner: EnsembleCombiner

    /// A stored member: weights (copies), its weight and the epoch (1-based) it was taken at.
    public struct Snapshot {
        public var state: [String: Tensor]
        public var weight: Double
        public var epoch: Int
    }

    /// Members, oldest first.
    public private(set) var snapshots: [Snapshot] = []
    /// True once the run's final epoch is done (the ensemble then predicts).
    public private(set) var finished = false
    private var cache: [any SegmentationNetwork] = []

    public init(options: StrategyOptions) throws {
        maxMembers = options.int("members", default: 3, in: 1...20)
        every = options.int("every", default: 0, in: 0...10_000)
        let mode = options.choice("mode", default: "mean", from: EnsembleMode.allCases.map { $0.rawValue })
        let threshold = options.double("threshold", default: 0.5, in: 0...1)
        try options.finish()
        combiner = EnsembleCombiner(mode: EnsembleMode(rawValue: mode) ?? .mean, threshold: threshold)
    }

    public var evaluatesLastCheckpoint: Bool { true }

    /// The snapshot interval in epochs for `config`.
    public func interval(_ config: TrainConfig) -> Int {
        if every > 0 { return every }
        if config.schedule == .cosineRestarts { return config.cycleEpochs }
        return max(1, config.epochs / maxMembers)
    }

    public func willStartRun(_ run: RunContext) throws {
        let k = interval(run.config)
        run.log("checkpoint-ensemble: snapshot every \(k) epoch(s) and at the end, keeping \(maxMembers), mode \(combiner.mode.rawValue)"
                + (run.config.schedule == .cosineRestarts || every > 0 ? "" : " (tip: --schedule cosine-restarts gives one snapshot per cycle)"))
    }

    public func didFinishEpoch(_ run: RunContext) throws -> TrainingControl {
        let done = run.epoch + 1
        let last = done == run.config.epochs
        if done % interval(run.config) == 0 || last {
            let weight = try (run.validationHistory.last ?? nil) ?? validationDice(run) ?? 1
            snapshots.append(Snapshot(state: run.model.stateDict().mapValues { $0.copy() }, weight: Double(Float(max(weight, 0))), epoch: done))
            if snapshots.count > maxMembers { snapshots.removeFirst(snapshots.count - maxMembers) }
            cache = []
            run.record("members", Double(snapshots.count))
        }
        if last { finished = true }
        return .continue
    }

    /// Mean foreground Dice of the current network on the validation cases (nil without any).
    func validationDice(_ run: RunContext) throws -> Double? {
        var results: [CaseResult] = []
        for c in run.data.validation {
            guard let label = c.label else { continue }
            let pred = run.plainProbabilities(c.image).argmax(axis: 0)
            let p = try LabelMap(labels: pred.scalars.map { UInt8($0) }, shape: c.spatialShape)
            let r = try LabelMap(labels: label.scalars.map { UInt8($0) }, shape: c.spatialShape)
            results.append(try evaluateCase(c.id, prediction: p, reference: r, classes: run.config.classes,
                                            options: MetricOptions(surfaceMetrics: false)))
        }
        return results.isEmpty ? nil : try aggregate(results).foregroundMean[.dice]
    }

    /// The ensemble's prediction for `image` `[C, D, H, W]` once training is finished (nil before: plain prediction).
    public func predict(_ image: Tensor, _ run: RunContext) throws -> Prediction? {
        guard finished, !snapshots.isEmpty else { return nil }
        if cache.count != snapshots.count {
            cache = try snapshots.map { s in
                let m = run.makeModel(0)
                try m.load(stateDict: s.state)
                m.eval()
                return m
            }
        }
        let probs = cache.map { run.plainProbabilities(image, model: $0) }
        return try combiner.combine(probs, weights: snapshots.map { $0.weight })
    }

    // MARK: - State

    public func stateDict() -> [String: Tensor] {
        var d: [String: Tensor] = ["count": Tensor(scalar: Float(snapshots.count)), "finished": Tensor(scalar: finished ? 1 : 0)]
        for (i, s) in snapshots.enumerated() {
            d["m\(i).weight"] = Tensor(scalar: Float(s.weight))
            d["m\(i).epoch"] = Tensor(scalar: Float(s.epoch))
            for (k, v) in s.state { d["m\(i).w.\(k)"] = v }
        }
        return d
    }

    public func load(stateDict d: [String: Tensor]) throws {
        guard let count = d["count"], let fin = d["finished"] else {
            throw TrainingError("checkpoint-ensemble: checkpoint has no snapshot state (count/finished)")
        }
        var out: [Snapshot] = []
        for i in 0..<Int(count.item) {
            let prefix = "m\(i).w."
            guard let w = d["m\(i).weight"], let e = d["m\(i).epoch"] else { throw TrainingError("checkpoint-ensemble: member \(i) is incomplete") }
            var state: [String: Tensor] = [:]
            for (k, v) in d where k.hasPrefix(prefix) { state[String(k.dropFirst(prefix.count))] = v }
            guard !state.isEmpty else { throw TrainingError("checkpoint-ensemble: member \(i) has no weights") }
            out.append(Snapshot(state: state, weight: Double(w.item), epoch: Int(e.item)))
        }
        snapshots = out
        finished = fin.item != 0
        cache = []
    }
}
