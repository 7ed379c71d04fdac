import Engine
import NN
import Training

/// Bidirectional copy-paste (Bai et al. 2023, CVPR; github DeepMed-Lab-ECNU/BCP, ACDC_BCP_train.py / LA_BCP_train.py).
///
/// Two stages in one run. Pre-training (the first `pretrain` fraction of the steps): labeled images only, each batch
/// mixed with itself by a random box (labeled half b pasted into labeled half a), supervised by the mixed ground truth:
/// in 2D ½ Σ_region (Dice + CE) of the two regions (ACDC_BCP_train.py's pre_train: mix_loss with u_weight 1), in 3D
/// ½ (Dice + CE) over the whole mixed image (LA_BCP_train.py's pre_train). Self-training (the rest) starts, as the
/// reference's, from the pre-training epoch with the best validation Dice (`start-from` best; `last`: the last
/// pre-training step): student and teacher are both loaded with those weights, then the teacher follows the student
/// by EMA (α = `alpha` after every step). One box per step (sides `box` × the patch's, random position) is used both ways:
/// - unlabeled-outside image: u_a with the box taken from labeled x_a; target = teacher pseudo-label outside, GT inside;
/// - labeled-outside image: x_b with the box taken from unlabeled u_b; target = GT outside, pseudo-label inside.
/// The loss of each mixed image is ½(Dice + CE) of its two regions, each region's term weighted 1 when its target is
/// ground truth and `u-weight` (0.5) when it is a pseudo-label: the supervision combines ground truth and pseudo-labels
/// in the same proportions as the images. Pseudo-labels are the teacher's argmax on the un-mixed unlabeled images (no
/// gradient, train mode as in the reference). This replaces the trainer's supervised loss (BCP has no separate one).
///
/// Options: `pretrain` 0.25 (fraction of the run's steps; ACDC: 10000 of 40000 iterations), `box` 2/3 (box side fraction),
/// `u-weight` 0.5, `alpha` 0.99, `predict-with` student|teacher (BCP evaluates the student), `loss` auto|run|reference,
/// `lcc` true|false, `absent-classes` skip|count, `start-from` best|last, `sup-weight` 1, `running-stats` labeled|all,
/// `mix-prob` 1, `ramp-up` 0 (below).
/// `loss`: `reference` (the default for 2D models, `auto`) is BCP's mix_loss, whose Dice includes the background: in 2D ACDC_BCP_train.py's
/// batch Dice with squared denominators, in 3D LA_BCP_train.py's per-sample Dice (`referenceDice`).
/// `absent-classes` skip|count: a class whose target is empty in a region (of a sample in 3D, of the sub-batch in 2D)
/// has Dice ε/(Σp + ε) there, so the reference's Dice rewards driving that class's probability to exactly 0 over the
/// whole region with a full loss unit (and gives almost no gradient before). On small structures (phantoms, lung
/// tumours) most regions hold no foreground, so the term rewards all-background predictions. `skip` (default) leaves
/// such (sample, class) terms out of the mean: false positives there are still penalised by the background's Dice and
/// by CE; `count` is the reference. (Removing it alone did not stop BCP's collapse on 3D phantoms; see below.) `run` (the default for 3D models) applies the
/// run's configured loss (nnU-Net Dice-CE without background unless `--loss` says otherwise) to each region with the
/// same region weights. `lcc` (default true, the reference's `nms=1`): the teacher's pseudo-labels keep only the
/// largest connected component per class and sample (`LargestComponent`).
/// Not the reference, measured (README "What changed for bcp, session 6"): `sup-weight` (default 1; 0 = the
/// reference, which trains on mixed images only) adds that weight × the run's supervised loss on the plain labeled
/// batch in both stages; `running-stats` labeled (default; `all` = the reference, whose running statistics, used at
/// validation and test, see only mixed images) takes BatchNorm's running statistics from that plain pass (with
/// `sup-weight` 0, from a pass without gradient) and lets the mixed passes normalise by their batch statistics only, as
/// the other student-training plugins do; `loss` auto (default) is `reference` for 2D models and `run` for 3D models.
/// Why: on 3D phantoms (300 steps, a spleen of ~1 % of the voxels) the halved batch, the mixing and the reference's
/// background-inclusive loss together kept pre-training from learning anything, self-training started from a network
/// that calls the whole body organ, and the student collapsed to all-background (validation 0 to the end); with the
/// plain term and the run's loss in 3D it no longer does. On the real CT (10 labeled slices, 400 steps, 5 seeds) the
/// plain term shrinks BCP's gap to supervised from −0.089 (p 0.002) to −0.035; the run's loss in 2D made it worse.
/// `mix-prob` (1 = the reference; a step that does not mix trains on its images with their own targets) and `ramp-up`
/// (0 = the reference; else the pseudo-label weight ramps in over that fraction of the run, SSL4MIS's sigmoid ramp) are
/// there for such studies; neither helped. `box-at` random|foreground (random = the reference; foreground: the box
/// covers a foreground voxel of the pasted labeled images, `boxCoveringForeground`) did not help on the real CT either
/// (−0.068 vs −0.035, a wider spread across seeds).
/// Adapted: the box is a cuboid in 3D (LA's context_mask uses 2/3 of each side too); pre-training and self-training are
/// one run (the reference trains two); the best pre-training weights are kept in the strategy state (`pretrained`), the
/// optimizer's moments continue from the last pre-training step (ACDC reloads them from the best checkpoint, LA starts
/// a fresh SGD); without validation cases self-training starts from the last pre-training step. Labeled and unlabeled batches are split in halves a/b as in the reference; with one pair
/// only, both directions use it. The trainer runs no forward pass on the plain labeled batch unless `sup-weight` > 0
/// (only then is `step.logits` read).
/// Records `bcp_loss`, `bcp_stage` (0 pre-training, 1 self-training), `bcp_u_weight`, and with the options above
/// `bcp_sup_loss`, `bcp_mixed` in metrics.csv.
public final class BCP: Strategy {
    public static let name = "bcp"
    public static let summary = "Bidirectional copy-paste: labeled/unlabeled boxes mixed both ways under a Mean Teacher (Bai et al. 2023)"

    let pretrain: Double
    let box: Double
    let unlabeledWeight: Double
    let alpha: Double
    let predictWithTeacher: Bool
    let lossChoice: LossChoice
    let absentClasses: AbsentClasses
    let startFrom: StartFrom
    /// Whether the teacher's pseudo-labels keep only the largest connected component of each class (the reference's
    /// `nms=1`: `get_ACDC_2DLargestCC`, LA's `LargestCC_pancreas`).
    let largestComponent: Bool
    /// Weight of the run's supervised loss on the plain (un-mixed) labeled batch, added to the mixed terms in both
    /// stages (`sup-weight`; 0 = the reference, which trains on mixed images only).
    let supervisedWeight: Double
    /// Which passes move BatchNorm's running statistics (`running-stats`): `.labeled`, a plain pass over the labeled
    /// batch (the supervised pass when `sup-weight` > 0, else a pass without gradient) while the mixed passes leave
    /// them alone; `.all`, every training-mode pass, i.e. only mixed images (the reference).
    let runningStatistics: RunningStatistics
    /// Fraction of the run over which the pseudo-label weight `u-weight` ramps in (`ramp-up`, sigmoid
    /// exp(−5(1 − t)²) of the run's progress, as SSL4MIS's consistency weight; 0 = the reference: full weight from the
    /// first self-training step).
    let rampUp: Double
    /// Probability that a step mixes (`mix-prob`; 1 = the reference). A step that does not mix trains on its images
    /// with their own targets and the same loss: pre-training on the whole labeled batch, self-training on the labeled
    /// batch (ground truth, weight 1) and the unlabeled batch (pseudo-labels, weight `u-weight`).
    let mixProbability: Double
    /// Where the box goes (`box-at` random|foreground; random = the reference).
    let boxPlacement: BoxPlacement

    /// The loss of one region of a mixed image.
    enum RegionLoss: String, CaseIterable {
        /// The run's configured supervised loss with the region as mask (nnU-Net's Dice-CE without background by default).
        case run
        /// The reference's mix_loss: Dice over the whole (sub-)batch with the background included, plus CE.
        case reference
    }
    /// The `loss` option: a `RegionLoss`, or `auto` (default): `reference` for 2D models, `run` for 3D models.
    enum LossChoice: String, CaseIterable {
        case auto, run, reference
    }
    /// The region loss for a model-layout batch of rank `rank` (4: 2D, 5: 3D).
    func lossKind(rank: Int) -> RegionLoss {
        switch lossChoice {
        case .run: return .run
        case .reference: return .reference
        case .auto: return rank == 5 ? .run : .reference
        }
    }
    /// How the Dice of a region treats a class absent from the region's target.
    enum AbsentClasses: String, CaseIterable {
        /// Leave the (sample, class) term out of the mean (default).
        case skip
        /// Count it, as the reference (Dice ε/(Σp + ε)).
        case count
    }
    /// Which weights self-training starts from.
    enum StartFrom: String, CaseIterable {
        /// The pre-training epoch with the best validation Dice (the reference's `<model>_best_model.pth`).
        case best
        /// The last pre-training step.
        case last
    }
    let teacher = StrategyNetwork(name: "teacher", initialisation: .copyOfModel, trainable: false)
    /// The best pre-training weights so far (by validation Dice); built from the start so checkpoints keep one size.
    let pretrained = StrategyNetwork(name: "pretrained", initialisation: .copyOfModel, trainable: false)
    /// Validation Dice and epoch (1-based) of `pretrained`; epoch 0 = none kept yet.
    private(set) var pretrainedDice = -Double.infinity
    private(set) var pretrainedEpoch = 0
    /// Whether self-training has started (the teacher then holds the pre-trained student and follows it by EMA). The
    /// teacher exists from the start so every checkpoint has the same size (the run's disk preflight stays right).
    private(set) var teacherReady = false

    public init(options: StrategyOptions) throws {
        pretrain = options.double("pretrain", default: 0.25, in: 0...1)
        box = options.double("box", default: 2.0 / 3.0, in: 0.01...1)
        unlabeledWeight = options.double("u-weight", default: 0.5, in: 0...10)
        alpha = options.double("alpha", default: 0.99, in: 0...1)
        predictWithTeacher = options.choice("predict-with", default: PredictingNetwork.student) == .teacher
        largestComponent = options.bool("lcc", default: true)
        lossChoice = options.choice("loss", default: LossChoice.auto)
        absentClasses = options.choice("absent-classes", default: AbsentClasses.skip)
        startFrom = options.choice("start-from", default: StartFrom.best)
        supervisedWeight = options.double("sup-weight", default: 1, in: 0...100)
        runningStatistics = options.choice("running-stats", default: RunningStatistics.labeled)
        rampUp = options.double("ramp-up", default: 0, in: 0...1)
        mixProbability = options.double("mix-prob", default: 1, in: 0...1)
        boxPlacement = options.choice("box-at", default: BoxPlacement.random)
        try options.finish()
    }

    public var wantsUnlabeledBatch: Bool { true }

    public func willStartRun(_ run: RunContext) throws {
        try teacher.ensure(run)
        try pretrained.ensure(run)
    }

    /// Whether optimizer step `globalStep` (0-based, about to be taken) belongs to pre-training.
    func isPretraining(_ run: RunContext) -> Bool { Double(run.globalStep) < pretrain * Double(run.totalSteps) }

    /// A mixed training image and its target: `outside` everywhere except `region` (1 = inside the box), where
    /// `inside` is pasted; targets likewise. Weights: of the outside and inside terms.
    struct Mix {
        var images: Tensor, target: Tensor, region: Tensor
        var outsideWeight: Float, insideWeight: Float
    }

    /// Pastes `insideImages`/`insideTargets` into `outsideImages`/`outsideTargets` over `region` `[B, *spatial]`.
    static func mix(outside: (Tensor, Tensor), inside: (Tensor, Tensor), region: Tensor, outsideWeight: Float, insideWeight: Float) -> Mix {
        Mix(images: Mixing.paste(inside.0, into: outside.0, region: region), target: Mixing.paste(inside.1, into: outside.1, region: region),
            region: region, outsideWeight: outsideWeight, insideWeight: insideWeight)
    }

    /// BCP's mix_loss halved: ½ Σ_region w_region·(Dice(region) + CE(region)), Dice over the whole (sub-)batch with the
    /// background included, CE averaged over the region's voxels (`.reference`); or ½ Σ_region w_region·L(region) with
    /// L the run's configured loss masked to the region (`.run`, given `config`). `whole`: one term ½ (Dice + CE) over
    /// every voxel instead (LA's pre-training loss; the weights are then ignored).
    static func loss(_ logits: Tensor, _ m: Mix, kind: RegionLoss = .reference, config: TrainConfig? = nil,
                     absent: AbsentClasses = .skip, whole: Bool = false) -> Tensor {
        func part(_ mask: Tensor) -> Tensor {
            if kind == .run, let config { return config.supervisedLoss(logits, m.target, mask: mask) }
            return referenceDice(logits, m.target, mask: mask, absent: absent) + Losses.crossEntropy(logits, m.target, mask: mask)
        }
        if whole { return part(withNoGrad { m.region * 0 + 1 }) * 0.5 }
        let outsideMask = withNoGrad { 1 - m.region }
        return (part(outsideMask) * m.outsideWeight + part(m.region) * m.insideWeight) * 0.5
    }

    /// The Dice term of BCP's mix_loss over the voxels of `mask` `[B, *spatial]`, background included. 2D (`logits`
    /// `[B, K, H, W]`): ACDC_BCP_train.py's `DiceLoss`, one Dice per class over the whole batch with squared
    /// denominators, (2Σp·y·m + ε)/(Σp²·m + Σy·m + ε), ε = 1e-10. 3D: LA_BCP_train.py's `mask_DiceLoss`, one Dice per
    /// sample and class, (2Σp·y·m + ε)/(Σ(p + y)·m + ε), ε = 1e-5. Loss = 1 − mean of those Dice terms; with `absent`
    /// `.skip` the mean runs only over the terms whose class occurs in the target inside the mask (0 when none does).
    static func referenceDice(_ logits: Tensor, _ target: Tensor, mask: Tensor, absent: AbsentClasses = .skip) -> Tensor {
        let k = logits.shape[1], threeD = logits.rank == 5
        let m = mask.reshaped([mask.shape[0], 1] + Array(mask.shape.dropFirst()))
        let p = logits.softmax(axis: 1)
        let y = withNoGrad { Losses.oneHot(target, classes: k) * m }
        let axes = (threeD ? [] : [0]) + Array(2..<logits.rank)
        let inter = (p * y).sum(axes: axes)
        let targetSum = y.sum(axes: axes)
        let denom = (threeD ? (p * m) : (p.squared() * m)).sum(axes: axes) + targetSum
        let eps: Float = threeD ? 1e-5 : 1e-10
        let dice = (inter * 2 + eps) / (denom + eps)   // [B, K] in 3D, [K] in 2D
        if absent == .count { return 1 - dice.mean() }
        let present = Tensor(targetSum.scalars.map { $0 > 0 ? 1 : 0 }, shape: targetSum.shape)
        let n = present.scalars.reduce(0, +)
        if n == 0 { return (dice * 0).sum() }
        return 1 - (dice * present).sum() / n
    }

    /// Rows `range` of a model-layout batch.
    static func rows(_ t: Tensor, _ range: Range<Int>) -> Tensor {
        t.sliced([range] + t.shape.dropFirst().map { 0..<$0 }).detached()
    }

    /// An all-zero region `[n, *spatial]` for `n` samples shaped like `batch` (an un-mixed step: every voxel outside).
    static func emptyRegion(count n: Int, like batch: Tensor) -> Tensor {
        Tensor(zeros: [n] + Array(batch.shape.dropFirst(2)))
    }

    /// The region `[n, *spatial]` of `box` for `n` samples shaped like `batch`.
    static func region(_ b: MixBox, count n: Int, like batch: Tensor) -> Tensor {
        Mixing.region(Array(repeating: b, count: n), like: rows(batch, 0..<n))
    }

    /// The student's logits on mixed images: with `running-stats` labeled the pass leaves BatchNorm's running
    /// statistics alone (they come from the plain labeled pass of `plainLabeledTerm`).
    func mixedLogits(_ images: Tensor, _ run: RunContext) -> Tensor {
        run.studentLogits(images, runningStatistics: runningStatistics)
    }

    /// `sup-weight` × the run's supervised loss on the plain labeled batch (nil when the weight is 0). With
    /// `running-stats` labeled and weight 0, a plain pass without gradient still moves the running statistics.
    func plainLabeledTerm(_ step: StepContext) -> Tensor? {
        if supervisedWeight > 0 {
            let l = step.run.config.supervisedLoss(step.logits, step.labeledTargets, mask: step.labeledMask)
            step.run.record("bcp_sup_loss", Double(l.item))
            return l * Float(supervisedWeight)
        }
        if runningStatistics == .labeled { _ = withNoGrad { step.run.model(step.labeledImages) } }
        return nil
    }

    public func supervisedLoss(_ step: StepContext) throws -> Tensor? {
        let run = step.run
        let x = step.labeledImages, y = step.labeledTargets
        let spatial = BatchSamples.spatialShape(x)
        var b = MixBox.random(spatial: spatial, sideFraction: box, rng: &run.rng)
        let nl = x.shape[0]
        // Drawn only when mixing is optional, so the reference's random stream is unchanged.
        let mixes = mixProbability >= 1 || Double(run.rng.uniform()) < mixProbability
        if mixProbability < 1 { run.record("bcp_mixed", mixes ? 1 : 0) }
        if isPretraining(run) || step.unlabeledImages == nil {
            run.record("bcp_stage", 0)
            if !mixes {
                let none = BCP.emptyRegion(count: nl, like: x)
                let m = BCP.Mix(images: x, target: y, region: none, outsideWeight: 1, insideWeight: 1)
                let l = BCP.loss(mixedLogits(x, run), m, kind: lossKind(rank: x.rank), config: run.config, absent: absentClasses, whole: x.rank == 5)
                run.record("bcp_loss", Double(l.item))
                if let s = plainLabeledTerm(step) { return l + s }
                return l
            }
            // Labeled half b pasted into labeled half a (one sample: mixed with itself).
            let h = max(nl / 2, 1), a = 0..<h, bb = (nl >= 2 ? h : 0)..<(nl >= 2 ? min(2 * h, nl) : 1)
            if boxPlacement == .foreground { b = BCP.boxCoveringForeground(b, targets: BCP.rows(y, bb), spatial: spatial, rng: &run.rng) }
            let m = BCP.mix(outside: (BCP.rows(x, a), BCP.rows(y, a)), inside: (BCP.rows(x, bb), BCP.rows(y, bb)),
                            region: BCP.region(b, count: h, like: x), outsideWeight: 1, insideWeight: 1)
            let l = BCP.loss(mixedLogits(m.images, run), m, kind: lossKind(rank: x.rank), config: run.config, absent: absentClasses, whole: x.rank == 5)
            run.record("bcp_loss", Double(l.item))
            if let s = plainLabeledTerm(step) { return l + s }
            return l
        }
        guard let u = step.unlabeledImages else { return nil }
        run.record("bcp_stage", 1)
        if !teacherReady {
            if startFrom == .best, pretrainedEpoch > 0 {
                run.model.copyState(from: try pretrained.ensure(run))
                run.log(String(format: "bcp: self-training starts from pre-training epoch %d (validation Dice %.4f)", pretrainedEpoch, pretrainedDice))
            }
            try teacher.reset(copying: run.model, run)
            teacherReady = true
        }
        let t = try teacher.ensure(run)
        let n = min(nl, u.shape[0])
        let pseudo = withNoGrad { () -> Tensor in
            let was = t.training
            t.train()
            defer { t.setTraining(was) }
            let logits = t(BCP.rows(u, 0..<n))
            let hard = logits.argmax(axis: 1).reshaped([n] + Array(logits.shape.dropFirst(2)))
            return largestComponent ? LargestComponent.filter(hard, classes: logits.shape[1]) : hard
        }
        let w = Float(rampedWeight(unlabeledWeight, progress: run.progress, rampUp: rampUp))
        run.record("bcp_u_weight", Double(w))
        if !mixes {
            let none = BCP.emptyRegion(count: n, like: x)
            let mu = BCP.Mix(images: BCP.rows(u, 0..<n), target: pseudo, region: none, outsideWeight: w, insideWeight: 1)
            let ml = BCP.Mix(images: BCP.rows(x, 0..<n), target: BCP.rows(y, 0..<n), region: none, outsideWeight: 1, insideWeight: 1)
            let l = BCP.loss(mixedLogits(mu.images, run), mu, kind: lossKind(rank: x.rank), config: run.config, absent: absentClasses)
                + BCP.loss(mixedLogits(ml.images, run), ml, kind: lossKind(rank: x.rank), config: run.config, absent: absentClasses)
            run.record("bcp_loss", Double(l.item))
            if let s = plainLabeledTerm(step) { return l + s }
            return l
        }
        let h = max(n / 2, 1)
        let first = 0..<h, second = (n >= 2 ? h : 0)..<(n >= 2 ? min(2 * h, n) : 1)
        if boxPlacement == .foreground { b = BCP.boxCoveringForeground(b, targets: BCP.rows(y, first), spatial: spatial, rng: &run.rng) }
        // Unlabeled outside, labeled box inside; then labeled outside, unlabeled box inside.
        let mu = BCP.mix(outside: (BCP.rows(u, first), BCP.rows(pseudo, first)), inside: (BCP.rows(x, first), BCP.rows(y, first)),
                         region: BCP.region(b, count: first.count, like: x), outsideWeight: w, insideWeight: 1)
        let ml = BCP.mix(outside: (BCP.rows(x, second), BCP.rows(y, second)), inside: (BCP.rows(u, second), BCP.rows(pseudo, second)),
                         region: BCP.region(b, count: second.count, like: x), outsideWeight: 1, insideWeight: w)
        let l = BCP.loss(mixedLogits(mu.images, run), mu, kind: lossKind(rank: x.rank), config: run.config, absent: absentClasses)
            + BCP.loss(mixedLogits(ml.images, run), ml, kind: lossKind(rank: x.rank), config: run.config, absent: absentClasses)
        run.record("bcp_loss", Double(l.item))
        if let s = plainLabeledTerm(step) { return l + s }
        return l
    }

    public func didFinishStep(_ run: RunContext, _ step: StepContext) throws {
        if teacherReady { try teacher.updateEMA(from: run.model, decay: Float(alpha), run) }
    }

    /// Keeps the student of a pre-training epoch whose validation Dice is the best so far (epochs whose steps were all
    /// pre-training; the reference validates every 200 iterations and keeps `<model>_best_model.pth`).
    public func didFinishEpoch(_ run: RunContext) throws -> TrainingControl {
        guard startFrom == .best, !teacherReady, Double(run.globalStep) <= pretrain * Double(run.totalSteps),
              let v = run.validationHistory.last ?? nil, v.isFinite, v > pretrainedDice else { return .continue }
        try pretrained.ensure(run).copyState(from: run.model)
        pretrainedDice = Double(Float(v))  // as stored in checkpoints: a resumed run compares the same value
        pretrainedEpoch = run.epoch + 1
        return .continue
    }

    public func predict(_ image: Tensor, _ run: RunContext) throws -> Prediction? {
        guard predictWithTeacher, teacherReady else { return nil }
        return try teacher.prediction(image, run)
    }

    public func stateDict() -> [String: Tensor] {
        teacher.stateDict().merging(pretrained.stateDict()) { a, _ in a }
            .merging(["teacher_ready": Tensor(scalar: teacherReady ? 1 : 0),
                      "pretrained_dice": Tensor(scalar: Float(pretrainedEpoch > 0 ? pretrainedDice : -1)),
                      "pretrained_epoch": Tensor(scalar: Float(pretrainedEpoch))]) { a, _ in a }
    }

    public func load(stateDict: [String: Tensor]) throws {
        guard let ready = stateDict["teacher_ready"] else { throw TrainingError("bcp: the checkpoint has no strategy.teacher_ready") }
        try teacher.load(stateDict: stateDict)
        try pretrained.load(stateDict: stateDict)
        teacherReady = ready.item == 1
        // Checkpoints written before the best-pre-training copy existed have neither key: start from the last step.
        pretrainedEpoch = Int(stateDict["pretrained_epoch"]?.item ?? 0)
        pretrainedDice = pretrainedEpoch > 0 ? Double(stateDict["pretrained_dice"]?.item ?? 0) : -.infinity
    }
}
