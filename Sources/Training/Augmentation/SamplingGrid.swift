import Engine

/// A dense spatial warp: for every output voxel, the (z, y, x) voxel coordinate to sample in the input.
///
/// Layout: `coords` is `[3, D, H, W]` row-major (plane 0 = z, 1 = y, 2 = x), in voxel units of the input.
/// 2D images use D = 1 and keep z = 0. The affine part (`affine`, 3x4 row-major, output voxel -> input voxel)
/// is kept beside the dense field so the inverse can start from its exact inverse.
public struct SamplingGrid: Sendable {
    /// Spatial shape `[D, H, W]` of both input and output.
    public let shape: [Int]
    /// Input coordinates per output voxel, `[3, D, H, W]`.
    public var coords: [Float]
    /// Affine part (output -> input voxel coordinates), 3x4 row-major; identity for a pure elastic warp.
    public var affine: [Double]

    /// Number of voxels of one plane.
    public var voxelCount: Int { shape[0] * shape[1] * shape[2] }

    /// The identity warp.
    public static func identity(shape: [Int]) -> SamplingGrid {
        precondition(shape.count == 3 && shape.allSatisfy { $0 > 0 }, "SamplingGrid: shape must be [D, H, W] > 0, got \(shape)")
        return SamplingGrid(affine: Affine3.identity, shape: shape, displacement: nil)
    }

    /// Builds the grid `p_in = A * (p_out + u(p_out))` from an affine and an optional displacement field `u` (`[3, D, H, W]`, voxels).
    public init(affine: [Double], shape: [Int], displacement: [Float]?) {
        precondition(affine.count == 12, "SamplingGrid: affine must be 3x4 (12 values), got \(affine.count)")
        let n = shape[0] * shape[1] * shape[2]
        if let d = displacement { precondition(d.count == 3 * n, "SamplingGrid: displacement has \(d.count) values, expected \(3 * n)") }
        self.shape = shape
        self.affine = affine
        var c = [Float](repeating: 0, count: 3 * n)
        let (D, H, W) = (shape[0], shape[1], shape[2])
        let a = affine.map(Float.init)
        c.withUnsafeMutableBufferPointer { out in
            for z in 0..<D { for y in 0..<H { for x in 0..<W {
                let i = (z * H + y) * W + x
                var pz = Float(z), py = Float(y), px = Float(x)
                if let d = displacement { pz += d[i]; py += d[n + i]; px += d[2 * n + i] }
                out[i] = a[0] * pz + a[1] * py + a[2] * px + a[3]
                out[n + i] = a[4] * pz + a[5] * py + a[6] * px + a[7]
                out[2 * n + i] = a[8] * pz + a[9] * py + a[10] * px + a[11]
            } } }
        }
        coords = c
    }

    /// Whether this warp is the identity to within `tolerance` voxels.
    public func isIdentity(tolerance: Float = 1e-5) -> Bool {
        let (H, W) = (shape[1], shape[2])
        let n = voxelCount
        for i in 0..<n {
            let z = i / (H * W), y = (i / W) % H, x = i % W
            if abs(coords[i] - Float(z)) > tolerance || abs(coords[n + i] - Float(y)) > tolerance || abs(coords[2 * n + i] - Float(x)) > tolerance { return false }
        }
        return true
    }

    /// The approximate inverse warp (maps augmented-frame coordinates back), by fixed-point iteration
    /// `p <- p + A^-1 (q - f(p))` started from the exact inverse of the affine part.
    ///
    /// Exact for affine warps; for elastic warps the residual after `iterations` is reported by `inverseResidual`.
    public func inverted(iterations: Int = 12) -> SamplingGrid {
        let inv = Affine3.inverse(affine)
        let ai = inv.map(Float.init)
        let (D, H, W) = (shape[0], shape[1], shape[2])
        let n = voxelCount
        var out = [Float](repeating: 0, count: 3 * n)
        let forward = self
        for z in 0..<D { for y in 0..<H { for x in 0..<W {
            let i = (z * H + y) * W + x
            let q = (Float(z), Float(y), Float(x))
            var p = (ai[0] * q.0 + ai[1] * q.1 + ai[2] * q.2 + ai[3],
                     ai[4] * q.0 + ai[5] * q.1 + ai[6] * q.2 + ai[7],
                     ai[8] * q.0 + ai[9] * q.1 + ai[10] * q.2 + ai[11])
            for _ in 0..<iterations {
                let f = forward.map(p)
                let r = (q.0 - f.0, q.1 - f.1, q.2 - f.2)
                p.0 += ai[0] * r.0 + ai[1] * r.1 + ai[2] * r.2
                p.1 += ai[4] * r.0 + ai[5] * r.1 + ai[6] * r.2
                p.2 += ai[8] * r.0 + ai[9] * r.1 + ai[10] * r.2
            }
            out[i] = p.0; out[n + i] = p.1; out[2 * n + i] = p.2
        } } }
        var g = SamplingGrid(affine: inv, shape: shape, displacement: nil)
        g.coords = out
        return g
    }

    /// Evaluates the warp at a fractional output position (trilinear in the coordinate field, clamped at borders).
    public func map(_ p: (Float, Float, Float)) -> (Float, Float, Float) {
        let n = voxelCount
        let (D, H, W) = (shape[0], shape[1], shape[2])
        return coords.withUnsafeBufferPointer { c in
            guard let b = c.baseAddress else { return p }
            var r = (Interp.linear(b, D, H, W, p.0, p.1, p.2),
                     Interp.linear(b + n, D, H, W, p.0, p.1, p.2),
                     Interp.linear(b + 2 * n, D, H, W, p.0, p.1, p.2))
            // Extrapolate linearly outside the grid using the affine part.
            let cz = min(max(p.0, 0), Float(shape[0] - 1)), cy = min(max(p.1, 0), Float(shape[1] - 1)), cx = min(max(p.2, 0), Float(shape[2] - 1))
            let dz = p.0 - cz, dy = p.1 - cy, dx = p.2 - cx
            if dz != 0 || dy != 0 || dx != 0 {
                let a = affine.map(Float.init)
                r.0 += a[0] * dz + a[1] * dy + a[2] * dx
                r.1 += a[4] * dz + a[5] * dy + a[6] * dx
                r.2 += a[8] * dz + a[9] * dy + a[10] * dx
            }
            return r
        }
    }

    /// Composition: sampling with the result equals sampling with `self` and then with `next`
    /// (i.e. `out(p) = in(self(next(p)))`).
    public func then(_ next: SamplingGrid) -> SamplingGrid {
        precondition(next.shape == shape, "SamplingGrid.then: shapes \(shape) and \(next.shape) differ")
        let n = voxelCount
        var out = [Float](repeating: 0, count: 3 * n)
        for i in 0..<n {
            let r = map((next.coords[i], next.coords[n + i], next.coords[2 * n + i]))
            out[i] = r.0; out[n + i] = r.1; out[2 * n + i] = r.2
        }
        var g = SamplingGrid(affine: Affine3.compose(affine, next.affine), shape: shape, displacement: nil)
        g.coords = out
        return g
    }
}

/// Trilinear and nearest sampling of one `[D, H, W]` plane stored at `base`.
enum Interp {
    /// Trilinear value at fractional (z, y, x), clamped to the volume edges.
    @inline(__always)
    static func linear(_ b: UnsafePointer<Float>, _ D: Int, _ H: Int, _ W: Int, _ pz: Float, _ py: Float, _ px: Float) -> Float {
        let z = min(max(pz, 0), Float(D - 1)), y = min(max(py, 0), Float(H - 1)), x = min(max(px, 0), Float(W - 1))
        let z0 = Int(z), y0 = Int(y), x0 = Int(x)
        let z1 = min(z0 + 1, D - 1), y1 = min(y0 + 1, H - 1), x1 = min(x0 + 1, W - 1)
        let fz = z - Float(z0), fy = y - Float(y0), fx = x - Float(x0)
        let r00 = b[(z0 * H + y0) * W + x0] * (1 - fx) + b[(z0 * H + y0) * W + x1] * fx
        let r01 = b[(z0 * H + y1) * W + x0] * (1 - fx) + b[(z0 * H + y1) * W + x1] * fx
        let r10 = b[(z1 * H + y0) * W + x0] * (1 - fx) + b[(z1 * H + y0) * W + x1] * fx
        let r11 = b[(z1 * H + y1) * W + x0] * (1 - fx) + b[(z1 * H + y1) * W + x1] * fx
        return (r00 * (1 - fy) + r01 * fy) * (1 - fz) + (r10 * (1 - fy) + r11 * fy) * fz
    }

    /// Whether (z, y, x) lies inside the volume (within half a voxel).
    @inline(__always)
    static func inside(_ D: Int, _ H: Int, _ W: Int, _ pz: Float, _ py: Float, _ px: Float) -> Bool {
        pz > -0.5 && pz < Float(D) - 0.5 && py > -0.5 && py < Float(H) - 0.5 && px > -0.5 && px < Float(W) - 0.5
    }
}
