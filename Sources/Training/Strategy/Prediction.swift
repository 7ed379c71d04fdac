import Engine

/// A strategy's prediction for one case: class probabilities and optional uncertainty maps.
///
/// All maps share the spatial shape `[D, H, W]` (D = 1 in 2D) of the image they were predicted on.
public struct Prediction {
    /// Class probabilities `[K, D, H, W]`, summing to 1 over K.
    public var probabilities: Tensor
    /// Named voxelwise uncertainty maps `[D, H, W]`, e.g. "entropy", "variance", "mutual_information", "disagreement".
    public var uncertainty: [String: Tensor]
    /// Extra named maps a strategy wants saved (e.g. "mc_mask_sum": the sum of T sampled binary masks).
    public var extras: [String: Tensor]

    public init(probabilities: Tensor, uncertainty: [String: Tensor] = [:], extras: [String: Tensor] = [:]) {
        precondition(probabilities.rank == 4, "Prediction: probabilities must be [K, D, H, W], got \(probabilities.shape)")
        self.probabilities = probabilities
        self.uncertainty = uncertainty
        self.extras = extras
    }

    /// Hard labels `[D, H, W]` (argmax over classes).
    public var labels: Tensor { probabilities.argmax(axis: 0) }

    /// Predictive entropy `-sum_k p_k log p_k` per voxel, in nats.
    public static func entropy(_ p: Tensor) -> Tensor {
        let v = p.scalars
        let K = p.shape[0], n = p.count / max(K, 1)
        var out = [Float](repeating: 0, count: n)
        for k in 0..<K { for i in 0..<n { let q = v[k * n + i]; if q > 0 { out[i] -= q * logf(q) } } }
        return Tensor(out, shape: Array(p.shape.dropFirst()))
    }
}

#if canImport(Glibc)
import Glibc
#endif
