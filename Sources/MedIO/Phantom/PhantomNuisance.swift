/// Image degradations applied to a painted phantom (in place, HU, x-fastest `[nz][ny][nx]` layout).
enum PhantomNuisance {
    /// Partial-volume blur: the separable kernel [1, 2, 1]/4 along x and y, and along z when `nz > 1`
    /// (edges replicate).
    static func blur(_ h: UnsafeMutableBufferPointer<Float>, nx: Int, ny: Int, nz: Int) {
        let line = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(nx, ny, nz))
        defer { line.deallocate() }
        func pass(count: Int, stride: Int, starts: [Int]) {
            guard count > 2 else { return }
            for s in starts {
                for t in 0..<count { line[t] = h[s + t * stride] }
                h[s] = 0.75 * line[0] + 0.25 * line[1]
                for t in 1..<(count - 1) { h[s + t * stride] = 0.25 * line[t - 1] + 0.5 * line[t] + 0.25 * line[t + 1] }
                h[s + (count - 1) * stride] = 0.75 * line[count - 1] + 0.25 * line[count - 2]
            }
        }
        let plane = nx * ny
        for k in 0..<nz {
            pass(count: nx, stride: 1, starts: (0..<ny).map { k * plane + $0 * nx })
            pass(count: ny, stride: nx, starts: (0..<nx).map { k * plane + $0 })
        }
        if nz > 1 { pass(count: nz, stride: plane, starts: Array(0..<plane)) }
    }

    /// Adds a smooth bias field (a random quadratic in the normalised grid coordinates, peak about `amplitude` HU)
    /// and Gaussian noise (`sigma` HU), then rounds to whole HU clamped to [-1024, 3071].
    static func biasAndNoise(_ h: UnsafeMutableBufferPointer<Float>, nx: Int, ny: Int, nz: Int, amplitude amp: Float,
                             sigma: Float, rng: inout PhantomRNG) {
        var c = [Float](repeating: 0, count: 6)
        for k in 0..<6 { c[k] = rng.uniform(-1, 1) }
        let c0 = c[0], c3 = c[3]
        var seed = rng.next()
        for k in 0..<nz {
            let z = nz > 1 ? 2 * Float(k) / Float(nz - 1) - 1 : 0
            for j in 0..<ny {
                let y = 2 * Float(j) / Float(max(ny - 1, 1)) - 1
                let row = (k * ny + j) * nx
                let base = c[1] * y + c[2] * z + c[4] * y * y + c[5] * y * z
                @inline(__always) func put(_ idx: Int, _ xi: Int, _ g: Float) {
                    let x = 2 * Float(xi) / Float(max(nx - 1, 1)) - 1
                    let bias = amp * 0.5 * (base + c0 * x + c3 * x * y)
                    h[idx] = min(max((h[idx] + bias + g).rounded(), -1024), 3071)
                }
                var i = 0
                while i < nx {
                    // xorshift + Box-Muller: two normals per step
                    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
                    let u1 = max(Float(seed >> 40) * (1.0 / 16_777_216.0), 1e-7)
                    let u2 = Float(seed & 0xFF_FFFF) * (1.0 / 16_777_216.0)
                    let r = (-2 * logf(u1)).squareRoot() * sigma
                    let t = 2 * Float.pi * u2
                    put(row + i, i, r * cosf(t))
                    if i + 1 < nx { put(row + i + 1, i + 1, r * sinf(t)) }
                    i += 2
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
