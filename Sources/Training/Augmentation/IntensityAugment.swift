import Engine

/// Random intensity transforms on an image `[C, D, H, W]` (each channel independently), nnU-Net style.
public enum IntensityAugment {
    /// Applies gamma, brightness, contrast, noise and blur as configured; returns a new tensor.
    public static func apply(_ image: Tensor, _ cfg: AugmentationConfig, spatialShape: [Int], rng: inout RNG) -> Tensor {
        var data = image.scalars
        let n = spatialShape.reduce(1, *)
        let channels = data.count / max(n, 1)
        for c in 0..<channels {
            let range = (c * n)..<((c + 1) * n)
            var v = Array(data[range])
            if Double(rng.uniform()) < cfg.gammaProbability { gamma(&v, draw(cfg.gammaRange, &rng)) }
            if Double(rng.uniform()) < cfg.brightnessProbability {
                let f = Float(draw(cfg.brightnessRange, &rng))
                for i in 0..<v.count { v[i] *= f }
            }
            if Double(rng.uniform()) < cfg.contrastProbability { contrast(&v, Float(draw(cfg.contrastRange, &rng))) }
            if Double(rng.uniform()) < cfg.noiseProbability {
                let std = rng.uniform() * Float(cfg.noiseStd)
                for i in 0..<v.count { v[i] += rng.normal() * std }
            }
            if Double(rng.uniform()) < cfg.blurProbability {
                let s = draw(cfg.blurSigmaRange, &rng)
                GaussianSmoothing.blur(&v, shape: spatialShape, sigma: [spatialShape[0] == 1 ? 0 : s, s, s])
            }
            data.replaceSubrange(range, with: v)
        }
        return Tensor(data, shape: image.shape)
    }

    static func draw(_ r: [Double], _ rng: inout RNG) -> Double { r[0] + Double(rng.uniform()) * (r[1] - r[0]) }

    /// Gamma on the values rescaled to [0, 1], mapped back to the original range.
    static func gamma(_ v: inout [Float], _ g: Double) {
        guard let lo = v.min(), let hi = v.max(), hi > lo else { return }
        let span = hi - lo
        for i in 0..<v.count { v[i] = lo + span * Float(_pow(Double((v[i] - lo) / span), g)) }
    }

    /// Scales deviations from the mean by `f`, clipped to the original [min, max].
    static func contrast(_ v: inout [Float], _ f: Float) {
        guard let lo = v.min(), let hi = v.max(), !v.isEmpty else { return }
        let mean = v.reduce(0, +) / Float(v.count)
        for i in 0..<v.count { v[i] = min(max((v[i] - mean) * f + mean, lo), hi) }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
#else
import Darwin
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Darwin.pow(x, y) }
#endif
