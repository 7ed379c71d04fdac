// Random-effects t-test for a crossed seeds × test-cases design: the verdict statistic of `semiseg compare`.
import Foundation

/// Result of `CrossedTTest.test`: the mean paired difference with a t interval and a two-sided p-value whose
/// standard error includes training (seed-to-seed) variance, case-to-case variance and their interaction.
public struct CrossedTTestResult: Codable, Equatable, Sendable {
    /// Mean over seeds and cases of the paired differences (= mean over seeds of the per-seed mean difference).
    public var estimate: Double
    /// Estimated standard error of `estimate`.
    public var standardError: Double
    /// Satterthwaite degrees of freedom of the t reference distribution (S − 1 when training noise dominates).
    public var degreesOfFreedom: Double
    /// Lower and upper bound of the two-sided `confidence` interval `estimate ± t(df) · standardError`.
    public var ciLow: Double
    public var ciHigh: Double
    public var confidence: Double
    /// Two-sided p-value of "mean difference = 0" (p < 1 − confidence exactly when the interval excludes 0).
    public var pValue: Double
    /// Variance components (per-unit variances of the model below, clamped at 0): seeds, cases, residual.
    public var seedVariance: Double
    public var caseVariance: Double
    public var residualVariance: Double
    /// Seeds and test cases used (cases defined in every seed).
    public var seeds: Int
    public var cases: Int

    enum CodingKeys: String, CodingKey {
        case estimate, standardError = "standard_error", degreesOfFreedom = "df", ciLow = "ci_low", ciHigh = "ci_high"
        case confidence, pValue = "p_value", seedVariance = "seed_variance", caseVariance = "case_variance"
        case residualVariance = "residual_variance", seeds, cases
    }
}

/// A t-test of the grand mean of `d[s][c]` under the crossed two-way random-effects model
/// `d[s][c] = μ + a_s + b_c + e_sc` (seed effect a: initialisation, data order, augmentation, checkpoint choice; case
/// effect b: how much the strategy helps on that test case; residual e: seed × case interaction), the model the
/// comparison of trained models calls for (Bouthillier et al. 2021, "Accounting for variance in machine learning
/// benchmarks": training seeds and test samples are both sources of variance, and the number of seeds, not cases,
/// limits the power).
///
/// With the two-way ANOVA mean squares MS_A (seeds, S − 1 df), MS_B (cases, C − 1 df) and MS_E (residual,
/// (S − 1)(C − 1) df), the unbiased estimate of Var(grand mean) is (MS_A + MS_B − MS_E) / (S·C) (expected values
/// E[MS_A] = σe² + Cσa², E[MS_B] = σe² + Sσb², E[MS_E] = σe²); when that is not positive, (MS_A + MS_B)/(S·C) is used
/// (an upper bound). The reference distribution is Student's t with Satterthwaite's degrees of freedom
/// df = (MS_A + MS_B − MS_E)² / (MS_A²/(S−1) + MS_B²/(C−1) + MS_E²/((S−1)(C−1))): when seed noise dominates, df → S − 1
/// and the test becomes the seed-level paired t-test on per-seed mean differences, which is exact for normal seed
/// effects at any number of seeds (with 3 seeds the 95 % critical value is 4.30, not 1.96); when case variance
/// dominates it becomes the case-level paired t-test.
///
/// Why not only the bootstrap: with 3 seeds a bootstrap over seeds sees at most 3 distinct seed values (10 multisets)
/// and under-estimates the spread of their mean; its p-values were far too small (a weight-0 control, identical in
/// expectation to supervised, got p = 0.002). `CrossedTTestTests` measures coverage and the false-positive rate of this
/// test on synthetic studies with known seed noise at 3 and 5 seeds.
public enum CrossedTTest {
    /// - Parameters:
    ///   - d: per seed, per test case paired differences (rows of equal length; a non-finite entry drops that case
    ///     from every seed).
    /// - Returns: nil without at least 2 seeds and 2 cases with finite values (one seed cannot measure training noise).
    public static func test(_ d: [[Double]], confidence: Double = 0.95) -> CrossedTTestResult? {
        guard let width = d.first?.count, d.allSatisfy({ $0.count == width }), confidence > 0, confidence < 1 else { return nil }
        let keep = (0..<width).filter { c in d.allSatisfy { $0[c].isFinite } }
        let x = d.map { row in keep.map { row[$0] } }
        let s = x.count, c = keep.count
        guard s >= 2, c >= 2 else { return nil }
        let S = Double(s), C = Double(c)
        let rowMeans = x.map { $0.reduce(0, +) / C }
        let colMeans = (0..<c).map { j in x.reduce(0) { $0 + $1[j] } / S }
        let grand = rowMeans.reduce(0, +) / S
        let ssA = C * rowMeans.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        let ssB = S * colMeans.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        var ssE = 0.0
        for i in 0..<s { for j in 0..<c { let r = x[i][j] - rowMeans[i] - colMeans[j] + grand; ssE += r * r } }
        let dfA = S - 1, dfB = C - 1, dfE = (S - 1) * (C - 1)
        let msA = ssA / dfA, msB = ssB / dfB, msE = ssE / dfE
        var combined = msA + msB - msE
        var df: Double
        if combined > 0 {
            df = combined * combined / (msA * msA / dfA + msB * msB / dfB + msE * msE / dfE)
        } else {
            combined = msA + msB
            df = combined > 0 ? combined * combined / (msA * msA / dfA + msB * msB / dfB) : dfA
        }
        df = min(max(df, 1), dfA + dfB + dfE)
        let se = (max(combined, 0) / (S * C)).squareRoot()
        let q = StudentT.quantile(1 - (1 - confidence) / 2, df: df)
        let p: Double
        if se > 0 { p = min(1, 2 * StudentT.survival(abs(grand) / se, df: df)) } else { p = grand == 0 ? 1 : 0 }
        return CrossedTTestResult(estimate: grand, standardError: se, degreesOfFreedom: df, ciLow: grand - q * se,
                                  ciHigh: grand + q * se, confidence: confidence, pValue: p,
                                  seedVariance: max((msA - msE) / C, 0), caseVariance: max((msB - msE) / S, 0),
                                  residualVariance: msE, seeds: s, cases: c)
    }
}

/// Student's t distribution for real degrees of freedom (through the regularized incomplete beta function).
public enum StudentT {
    /// P(T > t) for t >= 0 (and the complement below 0).
    public static func survival(_ t: Double, df: Double) -> Double {
        guard t.isFinite else { return t > 0 ? 0 : 1 }
        let tail = 0.5 * IncompleteBeta.regularized(df / (df + t * t), a: df / 2, b: 0.5)
        return t >= 0 ? tail : 1 - tail
    }

    /// The `p` quantile (0 < p < 1), by bisection on the distribution function (to 1e-12 relative).
    public static func quantile(_ p: Double, df: Double) -> Double {
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p, df: df) }
        var lo = 0.0, hi = 1.0
        while survival(hi, df: df) > 1 - p { lo = hi; hi *= 2; if hi > 1e12 { return .infinity } }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if survival(mid, df: df) > 1 - p { lo = mid } else { hi = mid }
            if hi - lo <= 1e-12 * hi { break }
        }
        return (lo + hi) / 2
    }
}

/// The regularized incomplete beta function I_x(a, b), by Lentz's continued fraction (the textbook method: the
/// fraction converges for x < (a + 1)/(a + b + 2); otherwise I_x(a, b) = 1 − I_{1−x}(b, a)).
enum IncompleteBeta {
    static func regularized(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logBeta + logPowers
        if x < (a + 1) / (a + b + 2) { return exp(logFront) * fraction(x, a, b) / a }
        return 1 - exp(logFront) * fraction(1 - x, b, a) / b
    }

    private static func fraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...500 {
            let m = Double(m)
            var num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}
