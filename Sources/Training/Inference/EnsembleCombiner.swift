#if canImport(Glibc)
import Glibc
#endif
import Engine

/// How ensemble members' predictions are combined.
public enum EnsembleMode: String, CaseIterable, Sendable {
    /// Mean of the members' class probabilities; label = argmax.
    case mean
    /// Majority vote of the members' argmax labels (per-class vote counts); ties → the tied class with the highest
    /// mean probability, then the lowest class index.
    case vote
    /// Dice-weighted vote: `s_k = sum_m w_m onehot(argmax_m)_k / sum_m w_m`. With two classes the voxel is foreground
    /// when `s_1 > threshold` (a fraction of the total weight; the seed workflow's 1.70 for three members of Dice
    /// ≈ 0.85 is ≈ 0.67); with more classes label = argmax `s_k` (ties as in `vote`).
    case diceWeighted = "dice-weighted"
}

/// One member's prediction for one case; the case id travels with the probabilities.
public struct MemberPrediction {
    /// Case identifier (e.g. the image file name without extension).
    public let caseID: String
    /// Class probabilities `[K, D, H, W]`.
    public let probabilities: Tensor
    public init(caseID: String, probabilities: Tensor) { self.caseID = caseID; self.probabilities = probabilities }
}

/// Combines member predictions (`[K, D, H, W]` each) into one `Prediction` with disagreement maps.
public struct EnsembleCombiner: Sendable {
    /// The maps `combine` writes besides the entropy of the mean (figures: `Strategy.uncertaintyMaps`).
    public static let uncertaintyMaps = [
        UncertaintyMap(name: "variance", caption: "probability variance", unit: "variance", scale: .ownMaximum),
        UncertaintyMap(name: "disagreement", caption: "member disagreement", unit: "vote entropy (nats)", scale: .nats),
    ]

    public var mode: EnsembleMode
    /// Foreground threshold of `dice-weighted` for two classes, as a fraction of the total weight.
    public var threshold: Double

    public init(mode: EnsembleMode, threshold: Double = 0.5) { self.mode = mode; self.threshold = threshold }

    /// Groups member outputs by case id (never by position): `members[m]` lists member m's predictions in any order.
    /// Throws when a member lacks a case another member has, or lists a case twice. Returns case id → per-member
    /// probabilities in member order.
    public static func alignByCase(_ members: [[MemberPrediction]]) throws -> [String: [Tensor]] {
        var out: [String: [Tensor]] = [:]
        for (m, list) in members.enumerated() {
            var seen = Set<String>()
            for p in list {
                guard seen.insert(p.caseID).inserted else { throw TrainingError("ensemble member \(m + 1): case '\(p.caseID)' predicted twice") }
                out[p.caseID, default: []].append(p.probabilities)
            }
        }
        for (id, list) in out where list.count != members.count {
            throw TrainingError("ensemble: case '\(id)' is predicted by \(list.count) of \(members.count) members")
        }
        return out
    }

    /// Combines `members` (each `[K, D, H, W]`) with non-negative `weights` (used by `dice-weighted`; all zero → equal).
    ///
    /// `probabilities` is the mean probability (`mean`) or the (weighted) vote fractions with the chosen label nudged
    /// by 1e-4 so that argmax reproduces the tie-break; for two-class `dice-weighted` the foreground fraction is mapped
    /// piecewise-linearly so that `threshold` becomes 0.5 (exactly at the threshold → background).
    /// Uncertainty maps `[D, H, W]`: `disagreement` (entropy in nats of the unweighted vote distribution),
    /// `variance` (mean over classes of the members' per-class probability variance), `entropy` (of the mean probability).
    public func combine(_ members: [Tensor], weights: [Double]? = nil) throws -> Prediction {
        guard let first = members.first else { throw TrainingError("ensemble: no members") }
        let shape = first.shape
        guard shape.count == 4, members.allSatisfy({ $0.shape == shape }) else {
            throw TrainingError("ensemble: member predictions differ in shape (\(members.map { $0.shape }))")
        }
        var w = weights ?? [Double](repeating: 1, count: members.count)
        guard w.count == members.count, w.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw TrainingError("ensemble: need one non-negative weight per member, got \(w)")
        }
        if w.reduce(0, +) <= 0 { w = [Double](repeating: 1, count: members.count) }
        let total = w.reduce(0, +)
        let K = shape[0], n = first.count / K, M = members.count
        let vals = members.map { $0.scalars }
        var mean = [Float](repeating: 0, count: K * n)
        for v in vals { for j in 0..<(K * n) { mean[j] += v[j] / Float(M) } }
        var votes = [Float](repeating: 0, count: K * n)      // unweighted counts
        var wvotes = [Double](repeating: 0, count: K * n)    // weighted fractions
        var variance = [Float](repeating: 0, count: n)
        for (m, v) in vals.enumerated() {
            for i in 0..<n {
                var best = v[i], arg = 0
                for k in 0..<K {
                    let q = v[k * n + i], d = q - mean[k * n + i]
                    variance[i] += d * d
                    if k > 0 && q > best { best = q; arg = k }
                }
                votes[arg * n + i] += 1
                wvotes[arg * n + i] += w[m] / total
            }
        }
        var disagreement = [Float](repeating: 0, count: n)
        for i in 0..<n {
            variance[i] /= Float(M * K)
            for k in 0..<K { let f = votes[k * n + i] / Float(M); if f > 0 { disagreement[i] -= f * logf(f) } }
        }
        let spatial = Array(shape.dropFirst())
        let meanTensor = Tensor(mean, shape: shape)
        let uncertainty = ["disagreement": Tensor(disagreement, shape: spatial), "variance": Tensor(variance, shape: spatial),
                           "entropy": Prediction.entropy(meanTensor)]
        var probs: [Float]
        switch mode {
        case .mean:
            probs = mean
        case .vote:
            probs = EnsembleCombiner.nudged(votes.map { Double($0) / Double(M) }, mean: mean, K: K, n: n)
        case .diceWeighted where K == 2:
            let t = threshold
            probs = [Float](repeating: 0, count: 2 * n)
            for i in 0..<n {
                let s = wvotes[n + i]
                let q = s <= t ? (t > 0 ? 0.5 * s / t : 0.5) : (t < 1 ? 0.5 + 0.5 * (s - t) / (1 - t) : 1)
                probs[n + i] = Float(q); probs[i] = Float(1 - q)
            }
        case .diceWeighted:
            probs = EnsembleCombiner.nudged(wvotes, mean: mean, K: K, n: n)
        }
        return Prediction(probabilities: Tensor(probs, shape: shape), uncertainty: uncertainty)
    }

    /// Vote fractions `[K·n]` with the winning class (max fraction; ties → highest mean probability, then lowest
    /// index) raised by 1e-4 and renormalised, so that a plain argmax yields the winner.
    static func nudged(_ fractions: [Double], mean: [Float], K: Int, n: Int) -> [Float] {
        let eps = 1e-4
        var out = [Float](repeating: 0, count: K * n)
        for i in 0..<n {
            var win = 0
            for k in 1..<K {
                let f = fractions[k * n + i], b = fractions[win * n + i]
                if f > b + 1e-9 || (abs(f - b) <= 1e-9 && mean[k * n + i] > mean[win * n + i]) { win = k }
            }
            for k in 0..<K { out[k * n + i] = Float((fractions[k * n + i] + (k == win ? eps : 0)) / (1 + eps)) }
        }
        return out
    }
}
