import Engine

/// Hard pseudo-labels with a confidence mask.
enum PseudoLabels {
    /// Argmax labels and a 0/1 mask (1 where the max class probability >= `threshold`).
    ///
    /// - Parameter probabilities: `[B, K, *spatial]` class probabilities (read as constants).
    /// - Returns: labels and mask, both `[B, *spatial]`, and the fraction of voxels kept.
    static func make(probabilities: Tensor, threshold: Double) -> (labels: Tensor, mask: Tensor, kept: Double) {
        make(probabilities: probabilities, thresholds: [Float](repeating: Float(threshold), count: probabilities.shape[1]))
    }

    /// Argmax labels and a 0/1 mask that is 1 where the max probability >= the threshold of the predicted class.
    static func make(probabilities: Tensor, thresholds: [Float]) -> (labels: Tensor, mask: Tensor, kept: Double) {
        precondition(probabilities.rank >= 3, "pseudo-labels: probabilities must be [B, K, *spatial], got \(probabilities.shape)")
        let b = probabilities.shape[0], k = probabilities.shape[1]
        precondition(thresholds.count == k, "pseudo-labels: \(thresholds.count) thresholds for \(k) classes")
        let n = probabilities.count / max(b * k, 1)
        var labels = [Float](repeating: 0, count: b * n), mask = labels
        var kept = 0
        probabilities.withData { p in
            for s in 0..<b { for i in 0..<n {
                var best = p[s * k * n + i], arg = 0
                for c in 1..<max(k, 1) where p[(s * k + c) * n + i] > best { best = p[(s * k + c) * n + i]; arg = c }
                labels[s * n + i] = Float(arg)
                if best >= thresholds[arg] { mask[s * n + i] = 1; kept += 1 }
            } }
        }
        let shape = [b] + Array(probabilities.shape.dropFirst(2))
        return (Tensor(labels, shape: shape), Tensor(mask, shape: shape), b * n > 0 ? Double(kept) / Double(b * n) : 0)
    }

    /// Class-balanced thresholds (CBST, Zou et al. 2018): for each class k, the confidence above which lie the
    /// `portion` most confident of the voxels predicted as k, pooled over `probabilities` (each `[B, K, *spatial]`).
    /// Keeping the same portion of every predicted class preserves the teacher's class balance, which a single
    /// threshold does not when the teacher is more confident on one class. Classes never predicted get 0.
    static func classThresholds(_ probabilities: [Tensor], portion: Double) -> [Float] {
        guard let k = probabilities.first?.shape[1] else { return [] }
        var conf = [[Float]](repeating: [], count: k)
        for t in probabilities {
            let b = t.shape[0], n = t.count / max(b * k, 1)
            t.withData { p in
                for s in 0..<b { for i in 0..<n {
                    var best = p[s * k * n + i], arg = 0
                    for c in 1..<max(k, 1) where p[(s * k + c) * n + i] > best { best = p[(s * k + c) * n + i]; arg = c }
                    conf[arg].append(best)
                } }
            }
        }
        return conf.map { c in
            guard !c.isEmpty else { return 0 }
            let sorted = c.sorted(by: >)
            let idx = min(max(Int((portion * Double(sorted.count)).rounded(.up)) - 1, 0), sorted.count - 1)
            return sorted[idx]
        }
    }

    /// Pseudo-labels for one case from its probabilities `[K, D, H, W]`: labels and mask `[D, H, W]`.
    static func forCase(probabilities: Tensor, threshold: Double) -> (labels: Tensor, mask: Tensor, kept: Double) {
        let r = make(probabilities: probabilities.reshaped([1] + probabilities.shape), threshold: threshold)
        let sp = Array(probabilities.shape.dropFirst())
        return (r.labels.reshaped(sp), r.mask.reshaped(sp), r.kept)
    }

    /// Packs labels and mask into one map for checkpoints: the label where the mask is 1, −1 where ignored.
    static func encode(labels: Tensor, mask: Tensor) -> Tensor {
        let l = labels.scalars, m = mask.scalars
        return Tensor((0..<l.count).map { m[$0] > 0 ? l[$0] : -1 }, shape: labels.shape)
    }

    /// Inverse of `encode`.
    static func decode(_ packed: Tensor) -> (labels: Tensor, mask: Tensor) {
        let v = packed.scalars
        return (Tensor(v.map { max($0, 0) }, shape: packed.shape), Tensor(v.map { $0 >= 0 ? 1 : 0 }, shape: packed.shape))
    }
}
