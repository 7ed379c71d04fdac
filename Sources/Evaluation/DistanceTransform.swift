// Exact Euclidean distance transform (Felzenszwalb & Huttenlocher 2012), separable, anisotropic.

import Dispatch
import Foundation

/// Exact squared Euclidean distance transform on a 2D or 3D grid with anisotropic spacing.
///
/// The algorithm of Felzenszwalb & Huttenlocher ("Distance Transforms of Sampled Functions", 2012):
/// one pass per axis, each computing the lower envelope of parabolas `f(q) + (w * (p - q))^2`
/// along every grid line, where `w` is the spacing of that axis in mm. The result is exact
/// (no chamfer approximation) and costs O(voxels) per axis. Lines are processed in parallel.
public enum DistanceTransform {
    /// Squared distance in mm² from every voxel to the nearest seed voxel.
    ///
    /// - Parameters:
    ///   - seeds: flat row-major mask over `shape` (`[H, W]` or `[D, H, W]`); `true` marks a seed.
    ///   - shape: grid extents.
    ///   - spacing: voxel size in mm per axis, same order as `shape`.
    /// - Returns: flat row-major squared distances in mm²; `+infinity` everywhere when there is no seed.
    public static func squaredDistance(seeds: [Bool], shape: [Int], spacing: [Double]) throws -> [Double] {
        let g = try GridGeometry(shape: shape, spacing: spacing)
        guard seeds.count == g.count else {
            throw EvaluationError.sizeMismatch(expected: g.count, got: seeds.count, what: "seed mask")
        }
        var f = seeds.map { $0 ? 0.0 : Double.infinity }
        f.withUnsafeMutableBufferPointer { transform($0, shape: g.shape, spacing: g.spacing) }
        return f
    }

    /// In-place transform of `f` (0 at seeds, `+infinity` elsewhere, or any non-negative sampled function):
    /// replaces `f(p)` by `min_q f(q) + |p - q|²_mm`. No validation; `f.count` must equal the product of `shape`.
    static func transform(_ f: UnsafeMutableBufferPointer<Double>, shape: [Int], spacing: [Double]) {
        // Axis order does not affect exactness; the contiguous last axis goes first.
        for axis in (0..<shape.count).reversed() where shape[axis] > 1 {
            pass(f, shape: shape, axis: axis, w: spacing[axis])
        }
    }

    /// One 1D pass along `axis` over every line of the grid.
    private static func pass(_ f: UnsafeMutableBufferPointer<Double>, shape: [Int], axis: Int, w: Double) {
        let n = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        let lines = f.count / n
        let w2 = w * w
        let chunks = lines >= 256 ? min(lines, 8 * max(1, ProcessInfoCores.count)) : 1
        let per = (lines + chunks - 1) / chunks
        guard let data = f.baseAddress else { return }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let lo = chunk * per, hi = min(lines, lo + per)
            guard lo < hi else { return }
            let line = UnsafeMutablePointer<Double>.allocate(capacity: n)
            let v = UnsafeMutablePointer<Int>.allocate(capacity: n)
            let z = UnsafeMutablePointer<Double>.allocate(capacity: n + 1)
            defer { line.deallocate(); v.deallocate(); z.deallocate() }
            for l in lo..<hi {
                let start = (l / inner) * n * inner + (l % inner)
                envelope(data + start, stride: inner, n: n, w2: w2, line: line, v: v, z: z)
            }
        }
    }

    /// Lower envelope of parabolas along one line (`n` samples `stride` apart), written back in place.
    @inline(__always)
    private static func envelope(_ p: UnsafeMutablePointer<Double>, stride: Int, n: Int, w2: Double,
                                 line: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Int>,
                                 z: UnsafeMutablePointer<Double>) {
        var k = -1
        for q in 0..<n {
            let fq = p[q * stride]
            line[q] = fq
            guard fq.isFinite else { continue }
            let hq = fq + w2 * Double(q * q)
            if k < 0 {
                k = 0; v[0] = q; z[0] = -.infinity; z[1] = .infinity
                continue
            }
            var s: Double
            while true {
                let r = v[k]
                s = (hq - (line[r] + w2 * Double(r * r))) / (2 * w2 * Double(q - r))
                if s <= z[k] && k > 0 { k -= 1 } else { break }
            }
            if s <= z[k] {  // k == 0 and the new parabola dominates everywhere
                v[0] = q; z[0] = -.infinity; z[1] = .infinity
            } else {
                k += 1; v[k] = q; z[k] = s; z[k + 1] = .infinity
            }
        }
        guard k >= 0 else { return }  // no finite sample on this line: leave +infinity
        var j = 0
        for q in 0..<n {
            let x = Double(q)
            while z[j + 1] < x { j += 1 }
            let d = Double(q - v[j])
            p[q * stride] = w2 * d * d + line[v[j]]
        }
    }
}

/// Active processor count, read once.
enum ProcessInfoCores {
    static let count: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
}
