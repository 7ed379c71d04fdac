import Engine
import NN
import Training

/// FixMatch (Sohn et al. 2020), for segmentation as in UniMatch's FixMatch baseline (Yang et al. 2023).
///
/// Each step, on the unlabeled batch (model layout `[B, C, *spatial]`), the core's `ViewAugmentation` makes a weak view
/// (flips, small rotation/scale) and a strong view (the same geometry plus brightness/contrast/gamma jitter, blur,
/// noise and CutOut). The model's prediction on the weak view (no gradient, train mode as in the reference) gives a
/// per-voxel pseudo-label, kept where its confidence (max softmax) is at least `threshold`; the strong view is trained
/// to it with cross-entropy averaged over all voxels (voxels below the threshold contribute 0, as in FixMatch and
/// UniMatch: the mean is over every voxel, not just the kept ones). Total loss = supervised + `weight`·that.
///
/// Options (`--opt key=value`), the paper's defaults: `threshold` 0.95 (0...1), `weight` 1 (lambda_u, 0...100),
/// `cut-out` 0.5 (probability of a CutOut box in the strong view), `forward` separate|joint (default separate: the
/// weak view runs in a no-gradient pass of its own; joint is UniMatch's fixmatch.py, the weak view in one train-mode
/// pass with the labeled batch, whose detached logits give the pseudo-labels; `StudentForward`), `running-stats`
/// labeled|all (default labeled: the weak and strong passes leave BatchNorm's running statistics to the labeled pass).
/// Adapted for 3D: the weak/strong views, blur and CutOut box work on `[D, H, W]` volumes (the box takes the cube-root
/// share of its volume fraction along depth); the colour jitter of natural images becomes intensity jitter on
/// normalised CT/MR values. UniMatch's CutMix between unlabeled images and its feature perturbation are not part of
/// FixMatch and are left out.
/// Records `fixmatch_loss` (unweighted) and `fixmatch_kept` (fraction of voxels above the threshold) in metrics.csv.
public final class FixMatch: Strategy {
    public static let name = "fixmatch"
    public static let summary = "FixMatch: confident weak-view pseudo-labels supervise a strong view (Sohn et al. 2020; UniMatch's baseline)"

    let threshold: Double
    let weight: Double
    let views: ViewAugmentation
    let forward: StudentForward
    let runningStatistics: RunningStatistics
    /// Views made by `studentInput` for this step's `additionalLoss`.
    private var pendingViews: BatchViews?

    public init(options: StrategyOptions) throws {
        threshold = options.double("threshold", default: 0.95, in: 0...1)
        weight = options.double("weight", default: 1, in: 0...100)
        let cutOut = options.double("cut-out", default: 0.5, in: 0...1)
        (forward, runningStatistics) = options.studentPasses()
        try options.finish()
        var v = ViewAugmentation.standard
        v.cutOutProbability = cutOut
        views = v
    }

    public var wantsUnlabeledBatch: Bool { true }

    /// UniMatch's FixMatch: `preds = model(torch.cat((img_x, img_u_w)))`, the strong view in a pass of its own.
    public var studentForward: StudentForward { forward }

    /// The weak view of this step's unlabeled batch (the strong view is kept for `additionalLoss`).
    public func studentInput(unlabeled u: Tensor, _ run: RunContext) throws -> Tensor {
        let v = views.views(of: u, rng: &run.rng)
        pendingViews = v
        return v.weak
    }

    /// Hard pseudo-labels `[B, *spatial]` from weak-view logits `[B, K, *spatial]`, and the mask `[B, *spatial]` of voxels
    /// whose max probability is ≥ `threshold`, with the number kept.
    static func pseudoLabels(_ logits: Tensor, threshold: Double) -> (labels: Tensor, mask: Tensor, kept: Int) {
        withNoGrad {
            let p = logits.detached().softmax(axis: 1)
            let conf = p.max(axes: [1]).scalars
            var m = [Float](repeating: 0, count: conf.count), kept = 0
            for i in 0..<conf.count where Double(conf[i]) >= threshold { m[i] = 1; kept += 1 }
            let shape = [logits.shape[0]] + Array(logits.shape.dropFirst(2))
            return (p.argmax(axis: 1).reshaped(shape), Tensor(m, shape: shape), kept)
        }
    }

    /// Cross-entropy of the strong-view logits `[B, K, *spatial]` against `labels`, times `mask`, averaged over all voxels.
    static func unlabeledLoss(strongLogits: Tensor, labels: Tensor, mask: Tensor) -> Tensor {
        (Losses.voxelCrossEntropy(strongLogits, labels) * mask).mean()
    }

    public func additionalLoss(_ step: StepContext) throws -> Tensor? {
        guard weight > 0, let u = step.unlabeledImages else { return nil }
        let run = step.run
        // Joint: the weak view went through the trainer's pass with the labeled images (`studentInput`); its logits
        // only give labels. Separate: the views are made here and the weak view runs without gradient.
        let v = pendingViews ?? views.views(of: u, rng: &run.rng)
        pendingViews = nil
        let weakLogits = step.unlabeledLogits.map { $0.detached() } ?? withNoGrad { run.studentLogits(v.weak, runningStatistics: runningStatistics) }
        let (labels, mask, kept) = FixMatch.pseudoLabels(weakLogits, threshold: threshold)
        let loss = FixMatch.unlabeledLoss(strongLogits: run.studentLogits(v.strong, runningStatistics: runningStatistics), labels: labels, mask: mask)
        run.record("fixmatch_loss", Double(loss.item))
        run.record("fixmatch_kept", Double(kept) / Double(max(mask.count, 1)))
        return loss * Float(weight)
    }
}
