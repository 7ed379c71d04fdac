import Engine
import Foundation
import Training

/// UDA's consistency target for one unlabeled batch, already moved into the augmented (student) frame.
///
/// All tensors are constants (no tape) in model layout: `[B, K, H, W]` (2D) or `[B, K, D, H, W]` (3D) for the
/// class maps, `[B, 1, *spatial]` for the mask.
struct UDATarget {
    /// Target probabilities q (sharpened with the temperature), summing to 1 over K.
    let probabilities: Tensor
    /// log q (0 where q = 0; those voxels-classes contribute nothing to the KL).
    let logProbabilities: Tensor
    /// 1 where the voxel counts: the un-sharpened target's max probability >= threshold and the voxel maps inside
    /// the original image under the warp; 0 elsewhere.
    let mask: Tensor
    /// Number of voxels with mask 1, and all voxels of the batch.
    let kept: Int
    let total: Int

    /// Fraction of voxels that count.
    var maskRatio: Double { total > 0 ? Double(kept) / Double(total) : 0 }
}

/// The pieces of UDA's unsupervised loss (Xie et al. 2019, adapted to dense prediction).
enum UDAConsistency {
    /// Builds the target from the model's logits on the un-augmented batch.
    ///
    /// - Parameters:
    ///   - logits: `[B, K, *spatial]` on the clean images; detached here, so no gradient can reach them.
    ///   - grids: one `SamplingGrid` per sample (the warp that made the student's input), or empty for none.
    ///   - temperature: sharpening T: q = softmax(z / T) = p^(1/T) renormalised (1 = no sharpening).
    ///   - threshold: confidence mask on the un-sharpened max probability (0 = keep every voxel), as in the paper.
    static func target(logits: Tensor, grids: [SamplingGrid], temperature: Double, threshold: Double) -> UDATarget {
        withNoGrad {
            let z = logits.detached()
            let b = z.shape[0], k = z.shape[1]
            let n = z.count / max(b * k, 1)
            let p = z.softmax(axis: 1).scalars
            let sharp = temperature == 1 ? z : z * Float(1 / temperature)
            var logQ = sharp.logSoftmax(axis: 1).scalars
            var q = sharp.softmax(axis: 1).scalars
            // Confidence of the un-sharpened prediction per voxel.
            var conf = [Float](repeating: 0, count: b * n)
            for s in 0..<b { for c in 0..<k { for i in 0..<n {
                conf[s * n + i] = max(conf[s * n + i], p[(s * k + c) * n + i])
            } } }
            var valid = [Float](repeating: 1, count: b * n)
            let spatial = BatchSamples.spatialShape(z)
            for s in 0..<min(b, grids.count) where !grids[s].isIdentity() {
                let g = grids[s]
                let qs = Tensor(Array(q[(s * k * n)..<((s + 1) * k * n)]), shape: [k] + spatial)
                let qw = g.apply(qs, interpolation: .linear, padding: .border).scalars
                let cs = Tensor(Array(conf[(s * n)..<((s + 1) * n)]), shape: [1] + spatial)
                let cw = g.apply(cs, interpolation: .linear, padding: .border).scalars
                let inside = g.apply(Tensor(repeating: 1, shape: [1] + spatial), interpolation: .nearest, padding: .constant(0)).scalars
                for j in 0..<(k * n) {
                    q[s * k * n + j] = qw[j]
                    logQ[s * k * n + j] = qw[j] > 0 ? logf(qw[j]) : 0
                }
                for i in 0..<n { conf[s * n + i] = cw[i]; valid[s * n + i] = inside[i] }
            }
            var mask = [Float](repeating: 0, count: b * n)
            var kept = 0
            let thr = Float(threshold)
            for i in 0..<(b * n) where valid[i] > 0 && conf[i] >= thr { mask[i] = 1; kept += 1 }
            let maskShape = [b, 1] + Array(z.shape.dropFirst(2))
            return UDATarget(probabilities: Tensor(q, shape: z.shape), logProbabilities: Tensor(logQ, shape: z.shape),
                             mask: Tensor(mask, shape: maskShape), kept: kept, total: b * n)
        }
    }

    /// KL(q ‖ softmax(student)) summed over classes and averaged over the masked voxels; 0 when none count.
    ///
    /// `studentLogits` `[B, K, *spatial]` carry the gradient; the target is constant. Written as
    /// Σ q·m·(log q − log p) so identical predictions give exactly 0.
    static func klDivergence(studentLogits: Tensor, target: UDATarget) -> Tensor {
        precondition(studentLogits.shape == target.probabilities.shape,
                     "UDA: student logits \(studentLogits.shape) do not match the target \(target.probabilities.shape)")
        guard target.kept > 0 else { return Tensor(scalar: 0) }
        let weight = withNoGrad { target.probabilities * target.mask }
        let diff = target.logProbabilities - studentLogits.logSoftmax(axis: 1)
        return (diff * weight).sum() * (1 / Float(target.kept))
    }

    /// Squared error between softmax(student) and q, averaged over classes and masked voxels (with no mask this is
    /// the usual mean over all elements); 0 when no voxel counts.
    static func meanSquaredError(studentLogits: Tensor, target: UDATarget) -> Tensor {
        precondition(studentLogits.shape == target.probabilities.shape,
                     "UDA: student logits \(studentLogits.shape) do not match the target \(target.probabilities.shape)")
        guard target.kept > 0 else { return Tensor(scalar: 0) }
        let k = studentLogits.shape[1]
        let d = studentLogits.softmax(axis: 1) - target.probabilities
        return (d.squared() * target.mask).sum() * (1 / Float(target.kept * k))
    }
}
