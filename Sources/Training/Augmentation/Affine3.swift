/// 3x4 affine matrices (row-major) acting on (z, y, x, 1) voxel coordinates.
public enum Affine3 {
    /// The identity.
    public static let identity: [Double] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]

    /// `a ∘ b` (apply `b` first).
    public static func compose(_ a: [Double], _ b: [Double]) -> [Double] {
        var r = [Double](repeating: 0, count: 12)
        for i in 0..<3 {
            for j in 0..<4 {
                var s = j == 3 ? a[i * 4 + 3] : 0
                for k in 0..<3 { s += a[i * 4 + k] * b[k * 4 + j] }
                r[i * 4 + j] = s
            }
        }
        return r
    }

    /// Inverse of an invertible affine (traps on a singular matrix, which the random augmentations never make).
    public static func inverse(_ a: [Double]) -> [Double] {
        let m = [[a[0], a[1], a[2]], [a[4], a[5], a[6]], [a[8], a[9], a[10]]]
        let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        precondition(abs(det) > 1e-12, "Affine3.inverse: singular matrix \(a)")
        var inv = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 {
            for j in 0..<3 {
                let r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3
                inv[i][j] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det
            }
        }
        let t = [a[3], a[7], a[11]]
        var r = [Double](repeating: 0, count: 12)
        for i in 0..<3 {
            for j in 0..<3 { r[i * 4 + j] = inv[i][j] }
            r[i * 4 + 3] = -(inv[i][0] * t[0] + inv[i][1] * t[1] + inv[i][2] * t[2])
        }
        return r
    }

    /// A linear map `m` (3x3 row-major, z/y/x) applied about the volume centre, then a translation (voxels).
    public static func aboutCenter(_ m: [Double], shape: [Int], translation: [Double] = [0, 0, 0]) -> [Double] {
        let c = shape.map { Double($0 - 1) / 2 }
        var r = [Double](repeating: 0, count: 12)
        for i in 0..<3 {
            var t = c[i] + translation[i]
            for k in 0..<3 { r[i * 4 + k] = m[i * 3 + k]; t -= m[i * 3 + k] * c[k] }
            r[i * 4 + 3] = t
        }
        return r
    }

    /// 3x3 product.
    public static func mul3(_ a: [Double], _ b: [Double]) -> [Double] {
        var r = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { r[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j] } } }
        return r
    }

    /// Rotation by `radians` in the plane of axes (p, q) of (z, y, x).
    public static func rotation(_ radians: Double, axes p: Int, _ q: Int) -> [Double] {
        var m: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
        let c = _cos(radians), s = _sin(radians)
        m[p * 3 + p] = c; m[p * 3 + q] = -s; m[q * 3 + p] = s; m[q * 3 + q] = c
        return m
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Glibc.sin(x) }
#else
import Darwin
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Darwin.sin(x) }
#endif
