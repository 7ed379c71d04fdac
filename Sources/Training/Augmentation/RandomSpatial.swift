import Engine

/// Draws random spatial warps from an `AugmentationConfig`.
public enum RandomSpatial {
    /// A random warp for a `[D, H, W]` volume (2D when D = 1: only in-plane transforms), drawn from `rng`.
    ///
    /// The affine part is flips, rotation, shear and scale about the centre, then translation; the elastic part is
    /// a Gaussian-smoothed random displacement field (alpha voxels, sigma voxels) applied before the affine.
    public static func draw(_ cfg: AugmentationConfig, shape: [Int], rng: inout RNG) -> SamplingGrid {
        let is2D = shape[0] == 1
        let axes = is2D ? [1, 2] : [0, 1, 2]
        var m: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
        // Flips.
        for a in axes where Double(rng.uniform()) < cfg.flipProbability {
            var f: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]; f[a * 3 + a] = -1
            m = Affine3.mul3(f, m)
        }
        let planes = is2D ? [(1, 2)] : [(0, 1), (0, 2), (1, 2)]
        if Double(rng.uniform()) < cfg.rotationProbability {
            for (p, q) in planes {
                let deg = Double(rng.uniform(-1, 1)) * cfg.rotationDegrees
                m = Affine3.mul3(Affine3.rotation(deg * .pi / 180, axes: p, q), m)
            }
        }
        if Double(rng.uniform()) < cfg.shearProbability {
            for (p, q) in planes {
                var s: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
                s[p * 3 + q] = tanDeg(Double(rng.uniform(-1, 1)) * cfg.shearDegrees)
                m = Affine3.mul3(s, m)
            }
        }
        if Double(rng.uniform()) < cfg.scaleProbability {
            let f = cfg.scaleRange[0] + Double(rng.uniform()) * (cfg.scaleRange[1] - cfg.scaleRange[0])
            // Sampling grid maps output -> input: zooming in by f means sampling at 1/f.
            var s: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
            for a in axes { s[a * 3 + a] = 1 / f }
            m = Affine3.mul3(s, m)
        }
        var shift = [0.0, 0.0, 0.0]
        if Double(rng.uniform()) < cfg.translationProbability {
            for a in axes { shift[a] = Double(rng.uniform(-1, 1)) * cfg.translationVoxels }
        }
        let affine = Affine3.aboutCenter(m, shape: shape, translation: shift)
        var field: [Float]? = nil
        if Double(rng.uniform()) < cfg.elasticProbability && cfg.elasticAlpha > 0 {
            field = ElasticField.random(shape: shape, alpha: cfg.elasticAlpha, sigma: cfg.elasticSigma, rng: &rng)
        }
        return SamplingGrid(affine: affine, shape: shape, displacement: field)
    }

    private static func tanDeg(_ d: Double) -> Double { _sin(d * .pi / 180) / _cos(d * .pi / 180) }
}

/// Smooth random displacement fields for elastic deformation (Simard et al. 2003).
public enum ElasticField {
    /// A `[3, D, H, W]` field: i.i.d. uniform(-1, 1) noise per component, Gaussian-smoothed with `sigma` voxels, then
    /// scaled so the largest displacement magnitude is `alpha` voxels. In 2D (D = 1) the z component is zero.
    public static func random(shape: [Int], alpha: Double, sigma: Double, rng: inout RNG) -> [Float] {
        let n = shape[0] * shape[1] * shape[2]
        var out = [Float](repeating: 0, count: 3 * n)
        let comps = shape[0] == 1 ? [1, 2] : [0, 1, 2]
        for c in comps {
            var noise = (0..<n).map { _ in rng.uniform(-1, 1) }
            GaussianSmoothing.blur(&noise, shape: shape, sigma: [shape[0] == 1 ? 0 : sigma, sigma, sigma])
            for i in 0..<n { out[c * n + i] = noise[i] }
        }
        var maxMag: Float = 0
        for i in 0..<n {
            let m = (out[i] * out[i] + out[n + i] * out[n + i] + out[2 * n + i] * out[2 * n + i]).squareRoot()
            maxMag = max(maxMag, m)
        }
        if maxMag > 0 {
            let s = Float(alpha) / maxMag
            for i in 0..<(3 * n) { out[i] *= s }
        }
        return out
    }
}

/// Separable Gaussian smoothing of a `[D, H, W]` array (reflect-free: edge values are clamped).
public enum GaussianSmoothing {
    /// Blurs in place with per-axis `sigma` (voxels; 0 skips the axis). Kernel radius = ceil(3 sigma).
    public static func blur(_ a: inout [Float], shape: [Int], sigma: [Double]) {
        let dims = shape
        let strides = [dims[1] * dims[2], dims[2], 1]
        for axis in 0..<3 where sigma[axis] > 0 && dims[axis] > 1 {
            let r = Int((3 * sigma[axis]).rounded(.up))
            var k = (-r...r).map { Float(_exp(-Double($0 * $0) / (2 * sigma[axis] * sigma[axis]))) }
            let ks = k.reduce(0, +); k = k.map { $0 / ks }
            let len = dims[axis], st = strides[axis]
            let lines = a.count / len
            var line = [Float](repeating: 0, count: len)
            a.withUnsafeMutableBufferPointer { buf in
                for l in 0..<lines {
                    // Start offset of line l along `axis`.
                    let outer = l / st, inner = l % st
                    let base = outer * st * len + inner
                    for i in 0..<len { line[i] = buf[base + i * st] }
                    for i in 0..<len {
                        var s: Float = 0
                        for j in -r...r { s += k[j + r] * line[min(max(i + j, 0), len - 1)] }
                        buf[base + i * st] = s
                    }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Darwin
@inline(__always) func _exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif
