import Engine
import Foundation
import NN

/// Training-signal annealing (UDA §3.3): labeled voxels the model already predicts with correct-class probability
/// above eta_t = 1/K + (1 − 1/K)·alpha_t are removed from the supervised cross-entropy, so the few labeled cases
/// are not memorised before the unlabeled signal takes over.
enum TSASchedule: String, CaseIterable {
    case off = "none", linear, log, exp

    /// alpha_t for training progress t in [0, 1] (the paper's schedules, scale 5).
    func alpha(_ progress: Double) -> Double {
        let t = min(max(progress, 0), 1)
        switch self {
        case .off: return 1
        case .linear: return t
        case .log: return 1 - Foundation.exp(-t * 5)
        case .exp: return Foundation.exp((t - 1) * 5)
        }
    }

    /// The threshold eta_t for `classes` classes.
    func threshold(progress: Double, classes: Int) -> Double {
        let inv = 1 / Double(max(classes, 1))
        return inv + (1 - inv) * alpha(progress)
    }

    /// The loss mask `[B, *spatial]`: 1 where the correct-class probability is <= `eta` (and `mask`, if any, is 1).
    ///
    /// - Parameters: `logits` `[B, K, *spatial]` (read without gradient), `target` `[B, *spatial]` class indices.
    /// - Returns: the mask and the fraction of voxels kept.
    static func mask(logits: Tensor, target: Tensor, eta: Double, mask base: Tensor?) -> (Tensor, Double) {
        withNoGrad {
            let p = logits.detached().softmax(axis: 1).scalars
            let y = target.scalars, m = base?.scalars
            let b = logits.shape[0], k = logits.shape[1]
            let n = target.count / max(b, 1)
            var out = [Float](repeating: 0, count: target.count)
            var kept = 0
            let thr = Float(eta)
            for s in 0..<b { for i in 0..<n {
                let j = s * n + i
                let base = m?[j] ?? 1
                guard base > 0 else { continue }
                let c = min(max(Int(y[j]), 0), k - 1)
                if p[(s * k + c) * n + i] <= thr { out[j] = base; kept += 1 }
            } }
            return (Tensor(out, shape: target.shape), target.count > 0 ? Double(kept) / Double(target.count) : 0)
        }
    }
}
