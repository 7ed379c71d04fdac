import Foundation

/// Foreground intensity statistics of a CT training set, as nnU-Net's CT normalisation collects them:
/// the 0.5 and 99.5 percentiles (numpy's linear interpolation), mean and (population) standard deviation of
/// voxels whose label is > 0, pooled over all training cases. Units: HU.
public struct CTStatistics: Codable, Sendable, Equatable {
    /// 0.5th percentile of foreground HU.
    public var lower: Float
    /// 99.5th percentile of foreground HU.
    public var upper: Float
    /// Mean foreground HU.
    public var mean: Float
    /// Standard deviation of foreground HU.
    public var std: Float

    /// Statistics with the given values.
    public init(lower: Float, upper: Float, mean: Float, std: Float) {
        self.lower = lower
        self.upper = upper
        self.mean = mean
        self.std = std
    }

    /// Pools foreground voxels (label > 0) of channel 0 over `cases`. With more than `maxSamplesPerCase`
    /// foreground voxels a case contributes an evenly strided subset (deterministic). Returns nil if no case
    /// has foreground.
    public static func collect(_ cases: [(image: Volume, label: Volume)], maxSamplesPerCase: Int = 100_000) -> CTStatistics? {
        var pooled: [Float] = []
        for (image, label) in cases {
            precondition(image.voxelsPerChannel == label.voxelsPerChannel, "CTStatistics: image and label grids differ")
            var fg: [Float] = []
            for i in 0..<label.voxelsPerChannel where label.data[i] > 0 { fg.append(image.data[i]) }
            if fg.count > maxSamplesPerCase {
                let step = Double(fg.count) / Double(maxSamplesPerCase)
                fg = (0..<maxSamplesPerCase).map { fg[Int(Double($0) * step)] }
            }
            pooled += fg
        }
        guard !pooled.isEmpty else { return nil }
        pooled.sort()
        let mean = pooled.reduce(0.0) { $0 + Double($1) } / Double(pooled.count)
        let variance = pooled.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(pooled.count)
        return CTStatistics(lower: percentile(sorted: pooled, 0.5), upper: percentile(sorted: pooled, 99.5),
                            mean: Float(mean), std: Float(variance.squareRoot()))
    }

    /// numpy's default (linear) percentile `q` in [0, 100] of ascending `sorted` values.
    public static func percentile(sorted: [Float], _ q: Double) -> Float {
        guard sorted.count > 1 else { return sorted.first ?? .nan }
        let pos = q / 100 * Double(sorted.count - 1)
        let i = Int(pos.rounded(.down)), f = pos - Double(i)
        guard i + 1 < sorted.count else { return sorted[sorted.count - 1] }
        return Float(Double(sorted[i]) + (Double(sorted[i + 1]) - Double(sorted[i])) * f)
    }
}

/// Intensity normalisation applied to every image before the network sees it.
public enum IntensityNormalization: Sendable, Equatable {
    /// CT as nnU-Net: clip to the training foreground's [0.5, 99.5] percentiles, then z-score with the
    /// foreground mean and std.
    case ct(CTStatistics)
    /// A fixed HU window (e.g. -160...240 for abdomen): clip, then map linearly to [0, 1].
    case window(lower: Float, upper: Float)
    /// MRI: z-score per image and channel; with `nonzeroMask`, statistics come from voxels that are non-zero
    /// in any channel, and voxels outside that mask are set to 0.
    case zScore(nonzeroMask: Bool)

    /// The normalised volume (same grid and geometry).
    public func apply(_ v: Volume) -> Volume {
        var out = v
        switch self {
        case .ct(let s):
            let inv = 1 / max(s.std, 1e-8)
            out.data = v.data.map { (min(max($0, s.lower), s.upper) - s.mean) * inv }
        case .window(let lo, let hi):
            let inv = hi > lo ? 1 / (hi - lo) : 0
            out.data = v.data.map { (min(max($0, lo), hi) - lo) * inv }
        case .zScore(let useMask):
            let n = v.voxelsPerChannel
            var mask = [Bool](repeating: true, count: n)
            if useMask {
                for i in 0..<n { mask[i] = (0..<v.channels).contains { v.data[$0 * n + i] != 0 } }
            }
            for c in 0..<v.channels {
                var sum = 0.0, count = 0
                for i in 0..<n where mask[i] { sum += Double(v.data[c * n + i]); count += 1 }
                let mean = count > 0 ? sum / Double(count) : 0
                var sq = 0.0
                for i in 0..<n where mask[i] { let d = Double(v.data[c * n + i]) - mean; sq += d * d }
                let std = count > 0 ? (sq / Double(count)).squareRoot() : 1
                let inv = 1 / max(std, 1e-8)
                for i in 0..<n {
                    out.data[c * n + i] = mask[i] ? Float((Double(v.data[c * n + i]) - mean) * inv) : 0
                }
            }
        }
        return out
    }
}
