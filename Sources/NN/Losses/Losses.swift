import Engine
import Foundation

/// Segmentation losses. Conventions: `logits` are `[N, C, *spatial]` (unnormalised scores, class axis 1);
/// `target` holds integer class indices stored as Float, `[N, *spatial]`; an optional `mask` `[N, *spatial]`
/// (1 = use, 0 = ignore) removes voxels, e.g. low-confidence pseudo-labels. Every loss is a scalar tensor
/// (shape `[]`) differentiable with respect to `logits`; targets and masks are constants.
public enum Losses {
    // MARK: - Helpers

    /// One-hot encoding: `target` `[N, *spatial]` of class indices → `[N, classes, *spatial]` of 0/1 (constant).
    public static func oneHot(_ target: Tensor, classes: Int) -> Tensor {
        precondition(target.rank >= 1, "oneHot: target needs a batch axis, got shape \(target.shape)")
        let n = target.shape[0], inner = target.count / Swift.max(n, 1)
        var out = [Float](repeating: 0, count: n * classes * inner)
        target.withData { t in
            for b in 0..<n {
                for j in 0..<inner {
                    let c = Int(t[b * inner + j])
                    precondition(c >= 0 && c < classes, "oneHot: class index \(t[b * inner + j]) outside 0..<\(classes)")
                    out[(b * classes + c) * inner + j] = 1
                }
            }
        }
        return Tensor(out, shape: [n, classes] + target.shape.dropFirst())
    }

    /// Checks `[N, C, *sp]` logits against a `[N, *sp]` target (and mask) and returns C.
    static func classCount(_ logits: Tensor, _ target: Tensor, mask: Tensor?, op: String) -> Int {
        precondition(logits.rank >= 2, "\(op): logits need shape [N, C, *spatial], got \(logits.shape)")
        let expected = [logits.shape[0]] + logits.shape.dropFirst(2)
        precondition(target.shape == expected, "\(op): target shape \(target.shape) does not match logits \(logits.shape) (expected \(expected))")
        if let mask { precondition(mask.shape == expected, "\(op): mask shape \(mask.shape) does not match \(expected)") }
        return logits.shape[1]
    }

    /// Negative log-likelihood of the target class per voxel, `[N, *spatial]` (the fused engine op
    /// `Tensor.softmaxCrossEntropyPerVoxel`: no one-hot tensor).
    public static func voxelCrossEntropy(_ logits: Tensor, _ target: Tensor) -> Tensor {
        _ = classCount(logits, target, mask: nil, op: "voxelCrossEntropy")
        return logits.softmaxCrossEntropyPerVoxel(target: target)
    }

    // MARK: - Cross-entropy

    /// Softmax cross-entropy, like `F.cross_entropy(weight:, ignore_index:)`: the weighted mean
    /// Σ w[y]·m·nll / Σ w[y]·m over voxels (w = `classWeights` or 1, m = `mask` or 1). Returns 0 when every
    /// voxel is masked out (PyTorch would return NaN).
    public static func crossEntropy(_ logits: Tensor, _ target: Tensor, classWeights: [Float]? = nil, mask: Tensor? = nil) -> Tensor {
        let c = classCount(logits, target, mask: mask, op: "crossEntropy")
        if let classWeights { precondition(classWeights.count == c, "crossEntropy: \(classWeights.count) class weights for \(c) classes") }
        // One fused pass (Tensor.softmaxCrossEntropy): the plain mean scales by 1 / voxels, the weighted one by 1 / Σ w.
        let scale: Float? = classWeights == nil && mask == nil ? 1 / Float(Swift.max(target.count, 1)) : nil
        return logits.softmaxCrossEntropy(target: target, classWeights: classWeights, voxelWeights: mask, scale: scale)
    }

    /// Top-K cross-entropy (nnU-Net's TopK10 for `percent` 10): the mean of the largest `percent`% of the
    /// per-voxel cross-entropies over the whole batch (at least one voxel).
    public static func topKCrossEntropy(_ logits: Tensor, _ target: Tensor, percent: Float = 10) -> Tensor {
        precondition(percent > 0 && percent <= 100, "topKCrossEntropy: percent must be in (0, 100], got \(percent)")
        // The per-voxel losses pick the voxels (no gradient), then one weighted fused pass over the selection.
        let values = withNoGrad { voxelCrossEntropy(logits, target) }.scalars
        let k = Swift.max(1, Int(Float(values.count) * percent / 100))
        let order = values.indices.sorted { values[$0] > values[$1] }
        var sel = [Float](repeating: 0, count: values.count)
        for i in order.prefix(k) { sel[i] = 1 }
        return logits.softmaxCrossEntropy(target: target, voxelWeights: Tensor(sel, shape: target.shape), scale: 1 / Float(k))
    }

    // MARK: - Dice

    /// Soft Dice loss `1 - mean_c (2·TP_c + smooth) / (Σp_c + Σy_c + smooth)` on softmax probabilities.
    ///
    /// Sums run over the spatial axes per sample and class (averaged over samples and classes), or over the
    /// batch too when `batchDice` (nnU-Net's batch Dice). `includeBackground: false` drops class 0.
    public static func softDice(_ logits: Tensor, _ target: Tensor, includeBackground: Bool = true, smooth: Float = 1e-5,
                                batchDice: Bool = false, mask: Tensor? = nil) -> Tensor {
        let c = classCount(logits, target, mask: mask, op: "softDice")
        precondition(includeBackground || c > 1, "softDice: excluding the background leaves no class")
        // One fused pass (Tensor.softmaxDiceSums): Σ (p·m)(y·m), Σ p·m per sample and class, and Σ y·m (constant).
        let (sums, targetSums) = logits.softmaxDiceSums(target: target, voxelWeights: mask)
        let n = logits.shape[0]
        var tp = sums.sliced([0..<1]).reshaped([n, c]), pSum = sums.sliced([1..<2]).reshaped([n, c]), ySum = targetSums
        if batchDice { tp = tp.sum(axes: [0]); pSum = pSum.sum(axes: [0]); ySum = ySum.sum(axes: [0]) }
        let denom = pSum + ySum
        var dice = (tp * 2 + smooth) / (denom + smooth)        // [N, C] or [C]
        if !includeBackground {
            dice = batchDice ? dice.sliced([1..<c]) : dice.sliced([0..<dice.shape[0], 1..<c])
        }
        return 1 - dice.mean()
    }

    /// nnU-Net's default: `ceWeight`·cross-entropy + `diceWeight`·soft Dice (background excluded by default).
    public static func diceCrossEntropy(_ logits: Tensor, _ target: Tensor, ceWeight: Float = 1, diceWeight: Float = 1,
                                       includeBackground: Bool = false, smooth: Float = 1e-5, batchDice: Bool = false,
                                       mask: Tensor? = nil) -> Tensor {
        crossEntropy(logits, target, mask: mask) * ceWeight
            + softDice(logits, target, includeBackground: includeBackground, smooth: smooth, batchDice: batchDice, mask: mask) * diceWeight
    }

    // MARK: - Consistency

    /// Mean squared error over all elements (both inputs may carry gradients; detach a target yourself).
    public static func mse(_ input: Tensor, _ target: Tensor) -> Tensor {
        precondition(input.shape == target.shape, "mse: shapes \(input.shape) and \(target.shape) differ")
        return (input - target).squared().mean()
    }

    /// KL(q ‖ softmax(logits)) = Σ_c q (log q − log p), averaged over the N·spatial voxels; `target` `[N, C, *sp]`
    /// holds probabilities q and is treated as a constant (terms with q = 0 contribute 0).
    public static func klDivergence(logits: Tensor, target: Tensor) -> Tensor {
        precondition(logits.shape == target.shape, "klDivergence: shapes \(logits.shape) and \(target.shape) differ")
        let q = target.detached()
        let qlogq = Float(q.scalars.reduce(0.0) { $0 + ($1 > 0 ? Double($1) * Foundation.log(Double($1)) : 0) })
        let voxels = Float(logits.count / Swift.max(logits.shape[1], 1))
        let cross = (q * logits.logSoftmax(axis: 1)).sum()
        return (qlogq - cross) * (1 / voxels)
    }
}
