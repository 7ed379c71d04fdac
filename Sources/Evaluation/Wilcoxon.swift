// Paired Wilcoxon signed-rank test, matching scipy.stats.wilcoxon (scipy 1.17, zero_method="wilcox").

import Foundation

/// How the p-value of the Wilcoxon signed-rank test is computed.
public enum WilcoxonMethod: String, Sendable, Codable {
    /// scipy's default: `exact` when there are no ties and no zero differences and n <= 50; an exact
    /// sign-flip permutation distribution when there are ties/zeros and n <= 13; else `asymptotic`.
    case auto
    /// Exact null distribution of the signed-rank statistic (valid without ties and zeros).
    case exact
    /// Exact distribution over all 2^n sign flips, ties handled with average ranks (scipy's permutation test).
    case permutation
    /// Normal approximation with tie correction, no continuity correction (scipy `correction=False`).
    case asymptotic
}

/// Result of a paired Wilcoxon signed-rank test.
public struct WilcoxonResult: Equatable, Sendable {
    /// `min(R+, R-)` (two-sided statistic, as scipy reports it).
    public let statistic: Double
    /// Two-sided p-value.
    public let pValue: Double
    /// The method actually used (never `.auto`).
    public let method: WilcoxonMethod
    /// Number of non-zero differences used by the ranks.
    public let n: Int
    /// Normal-approximation z-score (`asymptotic` only).
    public let z: Double?
}

/// Statistical tests for comparing paired per-case metrics.
public enum Wilcoxon {
    /// Two-sided paired Wilcoxon signed-rank test on `x - y`.
    ///
    /// Zero differences are dropped ("wilcox" zero method) before ranking; ties get average ranks.
    /// - Throws: when the samples differ in length or are empty.
    public static func test(_ x: [Double], _ y: [Double], method: WilcoxonMethod = .auto) throws -> WilcoxonResult {
        guard x.count == y.count else { throw EvaluationError.sizeMismatch(expected: x.count, got: y.count, what: "paired sample y") }
        guard !x.isEmpty else { throw EvaluationError.invalidArgument("Wilcoxon test needs at least one pair") }
        let d = zip(x, y).map { $0 - $1 }
        let total = d.count
        let nonzero = d.filter { $0 != 0 }
        let zeros = total - nonzero.count
        let n = nonzero.count
        // Average ranks of |d| (1-based), doubled to stay integral.
        let order = nonzero.indices.sorted { abs(nonzero[$0]) < abs(nonzero[$1]) }
        var rank2 = [Int](repeating: 0, count: n)
        var tieTerm = 0.0, hasTies = false
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && abs(nonzero[order[j + 1]]) == abs(nonzero[order[i]]) { j += 1 }
            let t = j - i + 1
            if t > 1 { hasTies = true; tieTerm += Double(t * t * t - t) }
            for k in i...j { rank2[order[k]] = i + 1 + j + 1 }  // 2 * average rank
            i = j + 1
        }
        var rPlus2 = 0, rMinus2 = 0
        for k in 0..<n { if nonzero[k] > 0 { rPlus2 += rank2[k] } else { rMinus2 += rank2[k] } }
        let rPlus = Double(rPlus2) / 2, rMinus = Double(rMinus2) / 2
        let statistic = min(rPlus, rMinus)

        var m = method
        if m == .auto {
            if total > 50 { m = .asymptotic } else if !(hasTies || zeros > 0) { m = .exact }
            else if total <= 13 { m = .permutation } else { m = .asymptotic }
        }
        guard n > 0 else { return WilcoxonResult(statistic: 0, pValue: .nan, method: m, n: 0, z: nil) }
        switch m {
        case .exact:
            // Null distribution of R+ with ranks 1...n (doubled: 2...2n).
            let counts = subsetSumCounts(Array(stride(from: 2, through: 2 * n, by: 2)))
            let all = pow(2.0, Double(n))
            let k = rPlus
            let hiK = Int(k.rounded(.down)) * 2, loK = Int(k.rounded(.up)) * 2
            let sf = tail(counts, from: hiK) / all, cdf = head(counts, through: loK) / all
            return WilcoxonResult(statistic: statistic, pValue: min(max(2 * min(sf, cdf), 0), 1), method: .exact, n: n, z: nil)
        case .permutation:
            let counts = subsetSumCounts(rank2)
            let all = pow(2.0, Double(n))  // zero differences only duplicate the distribution
            let sf = tail(counts, from: rPlus2) / all, cdf = head(counts, through: rPlus2) / all
            return WilcoxonResult(statistic: statistic, pValue: min(2 * min(sf, cdf), 1), method: .permutation, n: n, z: nil)
        case .asymptotic, .auto:
            let nn = Double(n)
            let mean = nn * (nn + 1) / 4
            let se = ((nn * (nn + 1) * (2 * nn + 1) - tieTerm / 2) / 24).squareRoot()
            let z = (rPlus - mean) / se
            let p = erfc(abs(z) / 2.0.squareRoot())  // 2 * normal survival of |z|
            return WilcoxonResult(statistic: statistic, pValue: min(p, 1), method: .asymptotic, n: n, z: -abs(z))
        }
    }

    /// `counts[s]` = number of subsets of `values` (non-negative integers) with sum `s`, as Double (exact to 2^53).
    private static func subsetSumCounts(_ values: [Int]) -> [Double] {
        let total = values.reduce(0, +)
        var c = [Double](repeating: 0, count: total + 1)
        c[0] = 1
        var reach = 0
        for v in values {
            reach += v
            if v == 0 { for s in 0...reach { c[s] *= 2 }; continue }
            for s in stride(from: reach, through: v, by: -1) { c[s] += c[s - v] }
        }
        return c
    }

    private static func tail(_ c: [Double], from k: Int) -> Double {
        guard k < c.count else { return 0 }
        return c[max(k, 0)...].reduce(0, +)
    }

    private static func head(_ c: [Double], through k: Int) -> Double {
        guard k >= 0 else { return 0 }
        return c[...min(k, c.count - 1)].reduce(0, +)
    }
}
