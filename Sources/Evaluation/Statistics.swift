// Descriptive statistics used by reports and comparisons.

/// Mean and sample standard deviation.
public enum Statistics {
    /// Arithmetic mean, `nil` for an empty list.
    public static func mean(_ x: [Double]) -> Double? {
        x.isEmpty ? nil : x.reduce(0, +) / Double(x.count)
    }

    /// Sample standard deviation (denominator `n - 1`, numpy `std(ddof=1)`), `nil` when fewer than 2 values.
    public static func sampleStd(_ x: [Double]) -> Double? {
        guard x.count >= 2, let m = mean(x) else { return nil }
        let ss = x.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return (ss / Double(x.count - 1)).squareRoot()
    }

    /// Mean and sample std together, as stored in comparison summaries (`{"mean": .., "std": ..}`).
    public static func meanStd(_ x: [Double]) -> (mean: Double?, std: Double?) { (mean(x), sampleStd(x)) }
}
