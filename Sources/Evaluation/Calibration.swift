// Calibration of probabilistic predictions (MC dropout, ensembles).

/// Calibration metrics for class probabilities.
///
/// Probabilities are flat `[Float]` in class-major layout `[C, *spatial]`: the probability of class `c` at
/// voxel `i` is `p[c * voxels + i]`, `voxels = p.count / C`. Labels are flat `[UInt8]` of `voxels` entries.
public enum Calibration {
    /// One reliability-diagram bin.
    public struct Bin: Equatable, Sendable {
        /// Lower (exclusive) and upper (inclusive) confidence bound.
        public let lower: Double, upper: Double
        /// Voxels whose confidence falls in the bin.
        public let count: Int
        /// Mean confidence (max probability) of those voxels, `nil` for an empty bin.
        public let meanConfidence: Double?
        /// Fraction of those voxels whose argmax equals the label, `nil` for an empty bin.
        public let accuracy: Double?
    }

    /// Per-voxel argmax over classes (first maximum wins, as numpy `argmax`), flat `[voxels]`.
    public static func argmax(_ probabilities: [Float], classes: Int) throws -> [UInt8] {
        let n = try voxelCount(probabilities, classes: classes)
        var out = [UInt8](repeating: 0, count: n)
        probabilities.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<n {
                    var best = p[i], arg = 0
                    for c in 1..<max(classes, 1) where p[c * n + i] > best { best = p[c * n + i]; arg = c }
                    o[i] = UInt8(arg)
                }
            }
        }
        return out
    }

    /// Reliability bins: `bins` equal-width confidence intervals `((m-1)/M, m/M]` (confidence 0 goes to bin 1),
    /// confidence = max class probability, correct = argmax equals the label (Guo et al. 2017).
    public static func reliability(probabilities: [Float], classes: Int, labels: [UInt8], bins: Int = 15) throws -> [Bin] {
        let n = try voxelCount(probabilities, classes: classes)
        guard labels.count == n else { throw EvaluationError.sizeMismatch(expected: n, got: labels.count, what: "labels") }
        guard bins >= 1 else { throw EvaluationError.invalidArgument("need at least one bin, got \(bins)") }
        var count = [Int](repeating: 0, count: bins), correct = [Int](repeating: 0, count: bins)
        var confSum = [Double](repeating: 0, count: bins)
        let m = Double(bins)
        probabilities.withUnsafeBufferPointer { p in
            labels.withUnsafeBufferPointer { y in
                for i in 0..<n {
                    var best = p[i], arg = 0
                    for c in 1..<classes where p[c * n + i] > best { best = p[c * n + i]; arg = c }
                    let conf = Double(best)
                    var b = Int((conf * m).rounded(.up)) - 1
                    b = min(max(b, 0), bins - 1)
                    if b > 0 && conf <= Double(b) / m { b -= 1 }
                    if b < bins - 1 && conf > Double(b + 1) / m { b += 1 }
                    count[b] += 1
                    confSum[b] += conf
                    if Int(y[i]) == arg { correct[b] += 1 }
                }
            }
        }
        return (0..<bins).map { b in
            Bin(lower: Double(b) / m, upper: Double(b + 1) / m, count: count[b],
                meanConfidence: count[b] > 0 ? confSum[b] / Double(count[b]) : nil,
                accuracy: count[b] > 0 ? Double(correct[b]) / Double(count[b]) : nil)
        }
    }

    /// Expected calibration error `sum_m |B_m|/N * |acc(B_m) - conf(B_m)|` over `bins` equal-width bins (default 15).
    public static func expectedCalibrationError(probabilities: [Float], classes: Int, labels: [UInt8],
                                                bins: Int = 15) throws -> Double {
        let r = try reliability(probabilities: probabilities, classes: classes, labels: labels, bins: bins)
        let total = r.reduce(0) { $0 + $1.count }
        guard total > 0 else { return 0 }
        return r.reduce(0.0) { s, b in
            guard let a = b.accuracy, let c = b.meanConfidence else { return s }
            return s + Double(b.count) / Double(total) * abs(a - c)
        }
    }

    /// Multi-class Brier score: mean over voxels of `sum_c (p_c - y_c)^2`, `y` one-hot of the label (range 0...2).
    public static func brierScore(probabilities: [Float], classes: Int, labels: [UInt8]) throws -> Double {
        let n = try voxelCount(probabilities, classes: classes)
        guard labels.count == n else { throw EvaluationError.sizeMismatch(expected: n, got: labels.count, what: "labels") }
        guard n > 0 else { return 0 }
        var s = 0.0
        probabilities.withUnsafeBufferPointer { p in
            labels.withUnsafeBufferPointer { y in
                for c in 0..<classes {
                    var part = 0.0
                    for i in 0..<n {
                        let d = Double(p[c * n + i]) - (Int(y[i]) == c ? 1 : 0)
                        part += d * d
                    }
                    s += part
                }
            }
        }
        return s / Double(n)
    }

    /// Uncertainty-error overlap: Dice between the uncertain mask `uncertainty > threshold` and the error mask
    /// `prediction != reference` (all flat `[voxels]`); `nil` when both masks are empty.
    public static func uncertaintyErrorOverlap(uncertainty: [Float], threshold: Float, prediction: [UInt8],
                                               reference: [UInt8]) throws -> Double? {
        let n = uncertainty.count
        guard prediction.count == n, reference.count == n else {
            throw EvaluationError.sizeMismatch(expected: n, got: prediction.count == n ? reference.count : prediction.count,
                                               what: "prediction/reference")
        }
        let uncertain = uncertainty.map { $0 > threshold }
        let error = zip(prediction, reference).map { $0 != $1 }
        return try BinaryCounts(prediction: uncertain, reference: error).dice
    }

    /// Per-voxel predictive entropy `-sum_c p_c ln p_c` in nats (0 log 0 = 0), flat `[voxels]`.
    public static func entropy(_ probabilities: [Float], classes: Int) throws -> [Float] {
        let n = try voxelCount(probabilities, classes: classes)
        var out = [Float](repeating: 0, count: n)
        for c in 0..<classes {
            for i in 0..<n {
                let p = probabilities[c * n + i]
                if p > 0 { out[i] -= p * logf(p) }
            }
        }
        return out
    }

    private static func voxelCount(_ p: [Float], classes: Int) throws -> Int {
        guard classes >= 1, classes <= 256, p.count % classes == 0 else {
            throw EvaluationError.invalidArgument("\(p.count) probabilities do not split into \(classes) classes")
        }
        return p.count / classes
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
