import Engine
import NN

/// How the trainer runs the trained network (the student) on one step's batches (docs/ARCHITECTURE.md §4).
///
/// BatchNorm makes this a modelling choice, not an implementation detail: in train mode each forward pass normalises
/// with its own batch's statistics and moves the running averages (used at validation and test) towards them. A
/// student that sees its labeled and its unlabeled images in two passes is trained on labeled-only and unlabeled-only
/// batch statistics, and its running averages alternate between the two, unlike a supervised run's.
public enum StudentForward: String, Codable, CaseIterable, Sendable {
    /// `model(labeled)` only (the default): `step.logits`; a strategy runs any pass over unlabeled images itself.
    case labeled
    /// One pass `model(concat(labeled, unlabeled view))` over the `[B_l + B_u, ...]` batch, as SSL4MIS trains its
    /// students (`outputs = model(volume_batch)` with labeled and unlabeled slices in one batch): `step.logits` are the
    /// labeled rows, `step.unlabeledLogits` the unlabeled ones; the unlabeled view is `Strategy.studentInput(unlabeled:_:)`.
    case joint
}

/// The student's forward pass of one step, run on first use and then cached, so a strategy that replaces the
/// supervised loss with its own passes (e.g. on mixed images) costs no unused forward.
final class StudentPass {
    typealias Output = (labeled: Tensor, unlabeled: Tensor?, auxiliary: [Tensor])
    private let compute: () -> Output
    private var result: Output?

    init(_ compute: @escaping () -> Output) { self.compute = compute }
    init(logits: Tensor) { compute = { (logits, nil, []) }; result = (logits, nil, []) }

    /// Labeled logits, unlabeled logits (`.joint` only) and the deep-supervision logits of the labeled rows.
    var value: Output {
        if let r = result { return r }
        let r = compute()
        result = r
        return r
    }
}

extension StepContext {
    /// The step of the trainer: labeled batch `x` `[B, C, *spatial]`, targets `y` `[B, *spatial]`, optional mask, and
    /// the unlabeled batch `u` (nil unless the strategy wants one). For a `.joint` strategy the two batches are padded
    /// to a common spatial shape first (whole images of different sizes; images with the batch minimum, targets and
    /// masks with 0 = background / ignored), and `strategy.studentInput(unlabeled:_:)` gives the unlabeled rows.
    static func training(labeled x: Tensor, targets y: Tensor, mask: Tensor?, unlabeled u: Tensor?, strategy: any Strategy,
                         model: any SegmentationNetwork, run: RunContext) throws -> StepContext {
        guard strategy.studentForward == .joint, var u else {
            return StepContext(labeledImages: x, labeledTargets: y, labeledMask: mask, unlabeledImages: u,
                               spatialShape: BatchSamples.spatialShape(x), run: run,
                               pass: StudentPass { let (l, aux) = model.forwardWithAuxiliary(x); return (l, nil, aux) })
        }
        var x = x, y = y, mask = mask
        let sx = BatchSamples.spatialShape(x), su = BatchSamples.spatialShape(u)
        if sx != su {
            let common = zip(sx, su).map { max($0, $1) }
            x = padBatch(x, to: common, value: x.scalars.min() ?? 0)
            u = padBatch(u, to: common, value: u.scalars.min() ?? 0)
            y = padMaps(y, to: common)
            mask = mask.map { padMaps($0, to: common) }   // padded target voxels are background, as DivisorPadding's
        }
        let view = try strategy.studentInput(unlabeled: u, run)
        precondition(view.shape == u.shape, "studentInput(unlabeled:) must keep the batch shape \(u.shape), got \(view.shape)")
        let nl = x.shape[0], nu = u.shape[0]
        let xs = x
        let pass = StudentPass {
            let (all, aux) = model.forwardWithAuxiliary(Tensor.concat([xs, view], axis: 0))
            let rest = Array(all.shape.dropFirst()).map { 0..<$0 }
            return (all.sliced([0..<nl] + rest), all.sliced([nl..<(nl + nu)] + rest), aux.map { $0.sliced([0..<nl] + rest) })
        }
        return StepContext(labeledImages: x, labeledTargets: y, labeledMask: mask, unlabeledImages: u,
                           spatialShape: BatchSamples.spatialShape(x), run: run, pass: pass)
    }

    /// A model-layout batch `[B, C, *spatial]` padded at the end of each spatial axis to `spatial` `[D, H, W]`.
    static func padBatch(_ t: Tensor, to spatial: [Int], value: Float) -> Tensor {
        let sp = BatchSamples.spatialShape(t)
        let samples = BatchSamples.split(t).map { DivisorPadding.pad($0, to: spatial, value: value) }
        let like = [t.shape[0], t.shape[1]] + (t.rank == 4 ? Array(spatial.suffix(2)) : spatial)
        return sp == spatial ? t : BatchSamples.stack(samples, like: like)
    }

    /// A model-layout map batch `[B, *spatial]` padded with 0 to `spatial` `[D, H, W]`.
    static func padMaps(_ t: Tensor, to spatial: [Int]) -> Tensor {
        let maps = BatchSamples.splitMaps(t)
        if maps.first?.shape == spatial { return t }
        let like = [t.shape[0]] + (t.rank == 3 ? Array(spatial.suffix(2)) : spatial)
        return BatchSamples.stack(maps.map { DivisorPadding.pad($0, to: spatial, value: 0) }, like: like)
    }
}

/// Which student passes move BatchNorm's running statistics (the statistics used at validation and test).
public enum RunningStatistics: String, Codable, CaseIterable, Sendable {
    /// Only the passes over labeled images, as in a supervised run: a strategy's own passes over unlabeled images
    /// normalise with their batch statistics but leave the running averages alone (`RunContext.studentLogits`).
    case labeled
    /// Every training-mode pass (PyTorch's behaviour for any `model(u)` in train mode).
    case all
}

extension RunContext {
    /// The student's logits on `images` `[B, C, *spatial]` in a training-mode pass of their own (with gradient):
    /// with `.labeled`, BatchNorm layers normalise by the batch statistics without updating their running statistics.
    public func studentLogits(_ images: Tensor, runningStatistics: RunningStatistics) -> Tensor {
        switch runningStatistics {
        case .all: return model(images)
        case .labeled: return model.withFrozenRunningStatistics { model(images) }
        }
    }
}

/// The divergence of a consistency loss between a student's logits and a target distribution (`loss` option of the
/// consistency plugins): `kl` = KL(target ‖ softmax(student)) (UDA's `_kl_divergence_with_logits`), `mse` = mean
/// squared error between the softmax probabilities (SSL4MIS's `softmax_mse_loss`).
public enum ConsistencyDivergence: String, CaseIterable, Sendable { case kl, mse }

/// Which network of a Mean-Teacher-style strategy predicts (`predict-with`): the trained student or its EMA teacher.
public enum PredictingNetwork: String, CaseIterable, Sendable { case student, teacher }

extension StrategyOptions {
    /// The options every student-training plugin shares: `forward` separate|joint (default separate: the student's
    /// unlabeled pass is the strategy's own, `.labeled`; joint: `StudentForward.joint`) and `running-stats`
    /// labeled|all (default labeled: `RunContext.studentLogits`).
    public func studentPasses() -> (forward: StudentForward, runningStatistics: RunningStatistics) {
        let forward: StudentForward = choice("forward", default: "separate", from: ["joint", "separate"]) == "joint" ? .joint : .labeled
        return (forward, choice("running-stats", default: RunningStatistics.labeled))
    }
}
