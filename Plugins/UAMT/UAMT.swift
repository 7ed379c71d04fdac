import Engine
import Foundation
import NN
import Training

/// Uncertainty-aware Mean Teacher (Yu et al. 2019, MICCAI), as in SSL4MIS's train_uncertainty_aware_mean_teacher.
///
/// Per step, on the unlabeled batch `u` (model layout): the EMA teacher (no gradient, train mode as in the reference)
/// predicts `u` plus Gaussian noise (std `noise`, clipped to ±`noise-clip`) once for the target, and `passes` (T = 8)
/// more times with fresh noise; the entropy H of the mean of those T softmaxes is the teacher's uncertainty per voxel.
/// Voxels with H < threshold, threshold = (`threshold-start` + (`threshold-end` − `threshold-start`)·sigmoidRampUp(progress))
/// · ln K (0.75 → 1 times ln K over the run), enter the consistency
/// Σ mask·(softmax(student(u)) − softmax(teacher))² / (K·Σ mask), weighted by `weight`·sigmoidRampUp(progress / `ramp-up`).
/// After each optimizer step the teacher is updated: teacher ← α·teacher + (1 − α)·student with
/// α = min(1 − 1/(t + 1), `alpha`), t the 0-based step (SSL4MIS's update_ema_variables).
///
/// Options: `weight` 0.1, `ramp-up` 1 (SSL4MIS: 200 "epochs" of 150 iterations = its 30000-iteration run), `alpha` 0.99,
/// `passes` 8, `noise` 0.1, `noise-clip` 0.2, `threshold-start` 0.75, `threshold-end` 1, `predict-with` student|teacher
/// (SSL4MIS evaluates and saves the student).
/// `forward` separate|joint: separate (default), the student's logits on `u` come from a pass of their own; joint is
/// SSL4MIS's one pass over labeled and unlabeled slices (`StudentForward`; with 10 labeled CT slices it broke
/// inference for Mean Teacher, README). `running-stats` labeled|all: labeled (default), that pass leaves BatchNorm's
/// running statistics to the labeled passes.
/// `batch-passes` (0 = all T, 0...64): copies of `u`, each with its own noise, sent through the teacher in one call
/// (as MC dropout batches its passes); the reference stacks 2 copies per call, so train-mode batch-norm statistics of
/// those passes differ slightly with other values.
/// Adapted for 3D: nothing beyond the shapes (the reference's 3D script is the same algorithm on `[B, K, D, H, W]`).
/// Records `uamt_consistency` (unweighted), `uamt_kept` (fraction of voxels under the threshold), `uamt_threshold`,
/// `uamt_weight` in metrics.csv.
public final class UAMT: Strategy {
    public static let name = "ua-mt"
    public static let summary = "Uncertainty-aware Mean Teacher: consistency masked by the teacher's MC entropy (Yu et al. 2019)"

    let weight: Double
    let rampUp: Double
    let alpha: Double
    let passes: Int
    let noise: Double
    let noiseClip: Double
    let thresholdStart: Double
    let thresholdEnd: Double
    let predictWithTeacher: Bool
    let batchPasses: Int
    /// One student pass over labeled and unlabeled images (SSL4MIS `outputs = model(volume_batch)`) or two.
    let forward: StudentForward
    let runningStatistics: RunningStatistics
    let teacher = StrategyNetwork(name: "teacher", initialisation: .copyOfModel, trainable: false)

    public init(options: StrategyOptions) throws {
        weight = options.double("weight", default: 0.1, in: 0...1000)
        rampUp = options.double("ramp-up", default: 1, in: 0...1)
        alpha = options.double("alpha", default: 0.99, in: 0...1)
        passes = options.int("passes", default: 8, in: 1...64)
        noise = options.double("noise", default: 0.1, in: 0...10)
        noiseClip = options.double("noise-clip", default: 0.2, in: 0...100)
        thresholdStart = options.double("threshold-start", default: 0.75, in: 0...1)
        thresholdEnd = options.double("threshold-end", default: 1, in: 0...1)
        predictWithTeacher = options.choice("predict-with", default: PredictingNetwork.student) == .teacher
        batchPasses = options.int("batch-passes", default: 0, in: 0...64)
        (forward, runningStatistics) = options.studentPasses()
        if thresholdEnd < thresholdStart { options.fail("threshold-end (\(thresholdEnd)) must be >= threshold-start (\(thresholdStart))") }
        try options.finish()
    }

    public var wantsUnlabeledBatch: Bool { true }

    public func willStartRun(_ run: RunContext) throws { try teacher.ensure(run) }

    /// The entropy threshold at `progress` for `classes` classes, in nats.
    func threshold(progress: Double, classes: Int) -> Double {
        (thresholdStart + (thresholdEnd - thresholdStart) * sigmoidRampUp(progress)) * Foundation.log(Double(classes))
    }

    /// Per-voxel entropy `[B, *spatial]` (nats, with SSL4MIS's +1e-6 inside the log) of the mean of `probabilities`,
    /// each `[B, K, *spatial]`.
    static func uncertainty(_ probabilities: [Tensor]) -> Tensor {
        let b = probabilities[0].shape[0], k = probabilities[0].shape[1]
        let n = probabilities[0].count / max(b * k, 1)
        var mean = [Float](repeating: 0, count: probabilities[0].count)
        for p in probabilities { let v = p.scalars; for i in 0..<mean.count { mean[i] += v[i] } }
        let inv = 1 / Float(probabilities.count)
        var h = [Float](repeating: 0, count: b * n)
        for s in 0..<b { for c in 0..<k { for i in 0..<n {
            let q = mean[(s * k + c) * n + i] * inv
            h[s * n + i] -= q * logf(q + 1e-6)
        } } }
        return Tensor(h, shape: [b] + Array(probabilities[0].shape.dropFirst(2)))
    }

    /// 1 where `uncertainty` < `threshold`, else 0.
    static func mask(uncertainty: Tensor, threshold: Double) -> Tensor {
        Tensor(uncertainty.scalars.map { Double($0) < threshold ? 1 : 0 }, shape: uncertainty.shape)
    }

    /// Σ mask·(softmax(student) − target)² / (K·Σ mask + 1e-16); `mask` `[B, *spatial]`, `target` `[B, K, *spatial]`.
    static func consistency(studentLogits: Tensor, target: Tensor, mask: Tensor) -> Tensor {
        let k = studentLogits.shape[1]
        let m = mask.reshaped([mask.shape[0], 1] + Array(mask.shape.dropFirst()))
        let kept = mask.scalars.reduce(0, +)
        return ((studentLogits.softmax(axis: 1) - target).squared() * m).sum() * (1 / (Float(k) * kept + 1e-16))
    }

    private func noisy(_ u: Tensor, _ run: RunContext) -> Tensor {
        guard noise > 0 else { return u }
        return u + Tensor.randn(u.shape, std: Float(noise), rng: &run.rng).clamped(min: Float(-noiseClip), max: Float(noiseClip))
    }

    /// The `passes` noisy teacher softmaxes of `u` `[B, C, *spatial]`, each `[B, K, *spatial]`: `batch-passes` copies
    /// of `u` (each with its own noise) go through the teacher in one call (0 = all T at once), as MC dropout batches
    /// its passes; the reference stacks 2 copies per call.
    func noisyPasses(_ u: Tensor, teacher t: any SegmentationNetwork, _ run: RunContext) -> [Tensor] {
        let b = u.shape[0], chunk = batchPasses == 0 ? passes : min(batchPasses, passes)
        var out: [Tensor] = []
        while out.count < passes {
            let n = min(chunk, passes - out.count)
            let copies = n == 1 ? u : Tensor.concat([Tensor](repeating: u, count: n), axis: 0)
            let p = t(noisy(copies, run)).softmax(axis: 1)
            let rest = Array(p.shape.dropFirst()).map { 0..<$0 }
            for i in 0..<n { out.append(n == 1 ? p : p.sliced([(i * b)..<((i + 1) * b)] + rest)) }
        }
        return out
    }

    public var studentForward: StudentForward { forward }

    public func additionalLoss(_ step: StepContext) throws -> Tensor? {
        guard weight > 0, let u = step.unlabeledImages else { return nil }
        let run = step.run
        let t = try teacher.ensure(run)
        let (target, unc) = withNoGrad { () -> (Tensor, Tensor) in
            let was = t.training
            t.train()
            defer { t.setTraining(was) }
            let target = t(noisy(u, run)).softmax(axis: 1)
            return (target.detached(), UAMT.uncertainty(noisyPasses(u, teacher: t, run)))
        }
        let thr = threshold(progress: run.progress, classes: run.config.classes)
        let m = UAMT.mask(uncertainty: unc, threshold: thr)
        let loss = UAMT.consistency(studentLogits: step.unlabeledLogits ?? run.studentLogits(u, runningStatistics: runningStatistics),
                                    target: target, mask: m)
        let w = rampedWeight(weight, progress: run.progress, rampUp: rampUp)
        run.record("uamt_consistency", Double(loss.item))
        run.record("uamt_kept", Double(m.scalars.reduce(0, +)) / Double(max(m.count, 1)))
        run.record("uamt_threshold", thr)
        run.record("uamt_weight", w)
        return loss * Float(w)
    }

    /// EMA decay after optimizer step `step` (1-based): min(1 − 1/step, alpha) (SSL4MIS passes the 0-based step t:
    /// min(1 − 1/(t + 1), alpha)).
    func decay(step: Int) -> Float { Float(min(1 - 1 / Double(max(step, 1)), alpha)) }

    public func didFinishStep(_ run: RunContext, _ step: StepContext) throws {
        try teacher.updateEMA(from: run.model, decay: decay(step: run.globalStep), run)
    }

    public func predict(_ image: Tensor, _ run: RunContext) throws -> Prediction? {
        guard predictWithTeacher else { return nil }
        return try teacher.prediction(image, run)
    }

    public func stateDict() -> [String: Tensor] { teacher.stateDict() }

    public func load(stateDict: [String: Tensor]) throws {
        guard stateDict.keys.contains(where: { $0.hasPrefix("teacher.model.") }) else { throw TrainingError("ua-mt: the checkpoint has no teacher weights (strategy.teacher.*)") }
        try teacher.load(stateDict: stateDict)
    }
}
