import Engine
import NN
import Training

/// Cross pseudo supervision (Chen et al. 2021, CVPR): two networks of the same architecture with different
/// initialisations; each is trained on the labeled batch and on the other's hard pseudo-labels (argmax, no gradient).
///
/// Per step: network A is the run's model (its supervised loss is the trainer's), network B a `StrategyNetwork` with
/// its own optimizer and learning-rate schedule (the run's settings), initialised from seed `config.seed + 1`.
/// Loss = sup(A) + sup(B) + w·(CE(A, argmax B) + CE(B, argmax A)), the cross terms over the unlabeled batch and, with
/// `on-labeled` (the paper), over the labeled batch too (each part a mean over its voxels, summed as in the paper's
/// L_cps^l + L_cps^u). The pseudo-labels are constants, so each network's gradient comes only from its own
/// predictions. w = `weight`·sigmoidRampUp(progress / `ramp-up`): SSL4MIS's train_cross_pseudo_supervision (0.1 ramped
/// over 200 × 150 of 30000 iterations, i.e. the whole run).
///
/// Options: `weight` 0.1 (0...100), `ramp-up` 1 (fraction of the run, 0 = constant), `on-labeled` true,
/// `predict-with` first|second|mean (default first: the paper infers with one network), `forward` separate|joint
/// (default separate; joint: each network runs once over the labeled and unlabeled batches together, as SSL4MIS;
/// `StudentForward`), `running-stats` labeled|all (default labeled: the unlabeled passes of both networks leave
/// BatchNorm's running statistics to the labeled passes).
/// Adapted for 3D: none needed (the same networks and losses on `[B, K, D, H, W]`). Both networks see the unlabeled
/// batch un-augmented, as in SSL4MIS (the paper adds CutMix in its strongest variant; not here).
/// Records `cps_loss` (unweighted, both directions), `cps_weight`, `cps_sup_second` in metrics.csv.
public final class CPS: Strategy {
    public static let name = "cps"
    public static let summary = "Cross pseudo supervision: two networks teach each other with hard pseudo-labels (Chen et al. 2021)"

    enum PredictWith: String, CaseIterable { case first, second, mean }

    let weight: Double
    let rampUp: Double
    let onLabeled: Bool
    let predictWith: PredictWith
    let forward: StudentForward
    let runningStatistics: RunningStatistics
    /// Network B.
    let second = StrategyNetwork(name: "net2", initialisation: .fresh(seedOffset: 1), trainable: true)

    public init(options: StrategyOptions) throws {
        weight = options.double("weight", default: 0.1, in: 0...100)
        rampUp = options.double("ramp-up", default: 1, in: 0...1)
        onLabeled = options.bool("on-labeled", default: true)
        (forward, runningStatistics) = options.studentPasses()
        predictWith = options.choice("predict-with", default: PredictWith.first)
        try options.finish()
    }

    public var wantsUnlabeledBatch: Bool { true }

    /// One pass per network over labeled and unlabeled images (`forward` joint, SSL4MIS) or two.
    public var studentForward: StudentForward { forward }

    public func willStartRun(_ run: RunContext) throws { try second.ensure(run) }

    public func willStartEpoch(_ run: RunContext) throws { try second.ensure(run).train() }

    /// The two cross terms for logits `a`, `b` `[B, K, *spatial]` of the same images: (CE(a, argmax b), CE(b, argmax a)).
    static func crossTerms(_ a: Tensor, _ b: Tensor) -> (Tensor, Tensor) {
        let shape = [a.shape[0]] + Array(a.shape.dropFirst(2))
        let (pa, pb) = withNoGrad { (a.detached().argmax(axis: 1).reshaped(shape), b.detached().argmax(axis: 1).reshaped(shape)) }
        return (Losses.crossEntropy(a, pb), Losses.crossEntropy(b, pa))
    }

    public func additionalLoss(_ step: StepContext) throws -> Tensor? {
        let run = step.run
        let netB = try second.ensure(run)
        second.zeroGrad()
        // Joint (SSL4MIS: `outputs1 = model1(volume_batch)`, `outputs2 = model2(volume_batch)`): each network sees the
        // labeled and unlabeled images in one pass; A's pass is the trainer's.
        var logitsB: Tensor, logitsBu: Tensor? = nil
        if let u = step.unlabeledImages, step.unlabeledLogits != nil {
            let nl = step.labeledImages.shape[0]
            let all = netB(Tensor.concat([step.labeledImages, u], axis: 0))
            let rest = Array(all.shape.dropFirst()).map { 0..<$0 }
            logitsB = all.sliced([0..<nl] + rest)
            logitsBu = all.sliced([nl..<all.shape[0]] + rest)
        } else {
            logitsB = netB(step.labeledImages)
        }
        let supB = run.config.supervisedLoss(logitsB, step.labeledTargets, mask: step.labeledMask)
        var cross: Tensor? = nil
        if let u = step.unlabeledImages {
            let (ab, ba) = CPS.crossTerms(step.unlabeledLogits ?? run.studentLogits(u, runningStatistics: runningStatistics),
                                          logitsBu ?? (runningStatistics == .labeled ? netB.withFrozenRunningStatistics { netB(u) } : netB(u)))
            cross = ab + ba
        }
        if onLabeled {
            let (ab, ba) = CPS.crossTerms(step.logits, logitsB)
            cross = cross.map { $0 + ab + ba } ?? (ab + ba)
        }
        let w = rampedWeight(weight, progress: run.progress, rampUp: rampUp)
        run.record("cps_sup_second", Double(supB.item))
        run.record("cps_weight", w)
        guard let c = cross else { return supB }
        run.record("cps_loss", Double(c.item))
        return supB + c * Float(w)
    }

    public func didFinishStep(_ run: RunContext, _ step: StepContext) throws { try second.step(run) }

    public func predict(_ image: Tensor, _ run: RunContext) throws -> Prediction? {
        switch predictWith {
        case .first: return nil
        case .second: return try second.prediction(image, run)
        case .mean:
            let p = (run.plainProbabilities(image) + (try second.probabilities(image, run))) * 0.5
            return Prediction(probabilities: p, uncertainty: ["entropy": Prediction.entropy(p)])
        }
    }

    public func stateDict() -> [String: Tensor] { second.stateDict() }

    public func load(stateDict: [String: Tensor]) throws {
        guard stateDict.keys.contains(where: { $0.hasPrefix("net2.model.") }) else { throw TrainingError("cps: the checkpoint has no second network (strategy.net2.*)") }
        try second.load(stateDict: stateDict)
    }
}
