// Paired bootstrap over training seeds and test cases for the difference between two strategies.

/// Result of `HierarchicalBootstrap.test`: an estimate of the mean paired difference with a percentile interval and
/// a two-sided p-value that include training (seed-to-seed) variance as well as case-to-case variance.
public struct BootstrapResult: Codable, Equatable, Sendable {
    /// Mean over seeds of the per-seed mean difference over test cases.
    public var estimate: Double
    /// Lower and upper bound of the two-sided `confidence` interval.
    public var ciLow: Double
    public var ciHigh: Double
    public var confidence: Double
    /// Two-sided p-value of "mean difference = 0": the smallest α whose (1 − α) interval excludes 0.
    public var pValue: Double
    /// Seeds and test cases used (cases defined on both sides in every seed).
    public var seeds: Int
    public var cases: Int
    public var resamples: Int

    enum CodingKeys: String, CodingKey {
        case estimate, ciLow = "ci_low", ciHigh = "ci_high", confidence, pValue = "p_value", seeds, cases, resamples
    }
}

/// Two-level paired bootstrap for a crossed seeds × test-cases design.
///
/// Input: `d[s][c]` = metric(strategy, seed s, case c) − metric(baseline, seed s, case c): paired by seed (the same
/// seed's initialisation, data order and augmentation stream for both strategies) and by test case. Each resample
/// draws `S` seeds with replacement and, independently, `C` test cases with replacement; because every seed is
/// evaluated on the same test cases, the one drawn case set is used for every drawn seed (a crossed, "two-way"
/// bootstrap: drawing cases afresh inside every seed would average a case's consistent effect over seeds and make the
/// interval too narrow). The statistic is the mean of `d` over the drawn seeds and cases.
///
/// Small-sample correction: the plug-in bootstrap variance of a mean of `n` units is `(n − 1)/n` of the unbiased one,
/// which matters with 3-5 seeds; the replicates are widened around the estimate by `sqrt(S / (S − 1))` (the seed
/// level dominates when training noise is large; for the case level the factor is close to 1 anyway).
/// The interval is the percentile interval of the widened replicates; the p-value is twice the smaller tail share
/// of replicates on either side of 0 (so p < 1 − confidence exactly when the interval excludes 0).
///
/// Limits: with few seeds the seed level of the resampling has few distinct draws (3 seeds: 10 multisets), so the
/// interval covers less than nominal when seed noise dominates (measured in `HierarchicalBootstrapTests`); it is
/// honest about training variance, unlike a case-level test, but 5+ seeds make it trustworthy.
public enum HierarchicalBootstrap {
    /// - Parameters:
    ///   - d: per seed, per test case paired differences (every row the same length; non-finite entries drop that case
    ///     from every seed).
    ///   - resamples: bootstrap replicates (deterministic for a given `seed`).
    /// - Returns: nil without at least one seed and one case with finite values.
    public static func test(_ d: [[Double]], resamples: Int = 4000, confidence: Double = 0.95, seed: UInt64 = 0x5EED) -> BootstrapResult? {
        guard let width = d.first?.count, d.allSatisfy({ $0.count == width }), resamples >= 1 else { return nil }
        let keep = (0..<width).filter { c in d.allSatisfy { $0[c].isFinite } }
        let x = d.map { row in keep.map { row[$0] } }
        let s = x.count, c = keep.count
        guard s >= 1, c >= 1 else { return nil }
        let estimate = x.map { $0.reduce(0, +) / Double(c) }.reduce(0, +) / Double(s)
        let widen = s > 1 ? (Double(s) / Double(s - 1)).squareRoot() : 1
        var rng = SplitMix64(seed)
        var reps = [Double](repeating: 0, count: resamples)
        var seedIdx = [Int](repeating: 0, count: s), caseIdx = [Int](repeating: 0, count: c)
        for b in 0..<resamples {
            for i in 0..<s { seedIdx[i] = rng.below(s) }
            for j in 0..<c { caseIdx[j] = rng.below(c) }
            var sum = 0.0
            for i in seedIdx {
                let row = x[i]
                for j in caseIdx { sum += row[j] }
            }
            let v = sum / Double(s * c)
            reps[b] = estimate + widen * (v - estimate)
        }
        reps.sort()
        let alpha = 1 - confidence
        let lo = quantile(reps, alpha / 2), hi = quantile(reps, 1 - alpha / 2)
        let below = reps.filter { $0 <= 0 }.count, above = reps.filter { $0 >= 0 }.count
        let p = min(1, 2 * Double(min(below, above)) / Double(resamples))
        return BootstrapResult(estimate: estimate, ciLow: lo, ciHigh: hi, confidence: confidence, pValue: p,
                               seeds: s, cases: c, resamples: resamples)
    }

    /// Linear-interpolation quantile of sorted values (numpy's default method).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let pos = q * Double(sorted.count - 1)
        let i = Int(pos.rounded(.down)), f = pos - Double(i)
        return i + 1 < sorted.count ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i]
    }
}

/// SplitMix64 (Steele et al. 2014): a small, fast, seedable generator so bootstrap results are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(_ seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform integer in `0..<n` (n >= 1).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
