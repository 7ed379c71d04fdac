#if canImport(Glibc)
import Glibc
#endif
import Engine
import Training

/// Turns T sampled class-probability maps into a `Prediction` with Monte-Carlo uncertainty maps.
public enum MCStatistics {
    /// Summarises `samples` (T tensors `[K, D, H, W]`, each summing to 1 over K) into:
    /// - `probabilities`: the mean over samples `[K, D, H, W]`;
    /// - `uncertainty["entropy"]`: predictive entropy `H(mean_t p_t)` in nats, `[D, H, W]`;
    /// - `uncertainty["mutual_information"]`: BALD, `H(mean_t p_t) - mean_t H(p_t)` (clamped at 0), nats;
    /// - `uncertainty["variance"]`: the mean over classes of the per-class population variance over samples,
    ///   `(1/K) sum_k (1/T) sum_t (p_tk - mean_t p_tk)^2`; for two classes this equals the variance of the
    ///   foreground probability;
    /// - `extras["mc_mask_sum"]`: how many of the T samples' argmax masks are foreground (class != 0), `[D, H, W]`
    ///   (the seed report's "sum of the 10 binary masks").
    public static func summarize(_ samples: [Tensor]) -> Prediction {
        precondition(!samples.isEmpty, "MCStatistics: no samples")
        let shape = samples[0].shape
        precondition(shape.count == 4 && samples.allSatisfy { $0.shape == shape }, "MCStatistics: samples must share one [K, D, H, W] shape")
        let K = shape[0], n = samples[0].count / K, T = samples.count
        let spatial = Array(shape.dropFirst())
        let values = samples.map { $0.scalars }
        var mean = [Float](repeating: 0, count: K * n)
        for v in values { for j in 0..<(K * n) { mean[j] += v[j] } }
        for j in 0..<(K * n) { mean[j] /= Float(T) }
        var variance = [Float](repeating: 0, count: n)
        var meanEntropy = [Float](repeating: 0, count: n)
        var maskSum = [Float](repeating: 0, count: n)
        for v in values {
            for i in 0..<n {
                var best = v[i], arg = 0, h: Float = 0
                for k in 0..<K {
                    let q = v[k * n + i]
                    let d = q - mean[k * n + i]
                    variance[i] += d * d
                    if q > 0 { h -= q * logf(q) }
                    if k > 0 && q > best { best = q; arg = k }
                }
                meanEntropy[i] += h
                if arg != 0 { maskSum[i] += 1 }
            }
        }
        let meanTensor = Tensor(mean, shape: shape)
        let entropy = Prediction.entropy(meanTensor).scalars
        var mi = [Float](repeating: 0, count: n)
        for i in 0..<n {
            variance[i] /= Float(T * K)
            meanEntropy[i] /= Float(T)
            mi[i] = max(0, entropy[i] - meanEntropy[i])
        }
        return Prediction(probabilities: meanTensor,
                          uncertainty: ["entropy": Tensor(entropy, shape: spatial), "mutual_information": Tensor(mi, shape: spatial),
                                        "variance": Tensor(variance, shape: spatial)],
                          extras: ["mc_mask_sum": Tensor(maskSum, shape: spatial)])
    }
}
