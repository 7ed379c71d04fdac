// Object surfaces: foreground minus its binary erosion by the axis-aligned cross.

/// Surface (border) voxels of a binary mask, as medpy computes them.
///
/// A foreground voxel is on the surface when at least one of its face neighbours (the 6-connected
/// cross in 3D, 4-connected in 2D) is background or lies outside the image: this is
/// `mask XOR binary_erosion(mask, generate_binary_structure(ndim, 1))` with scipy's default
/// `border_value=0`, exactly as `medpy.metric.binary.__surface_distances` extracts borders.
public enum Surface {
    /// Flat row-major indices of the surface voxels of `mask` (shape `[H, W]` or `[D, H, W]`), ascending.
    public static func indices(of mask: [Bool], shape: [Int]) throws -> [Int] {
        let g = try GridGeometry(shape: shape)
        guard mask.count == g.count else {
            throw EvaluationError.sizeMismatch(expected: g.count, got: mask.count, what: "mask")
        }
        let is3D = shape.count == 3
        let d = is3D ? shape[0] : 1
        let h = shape[shape.count - 2], w = shape[shape.count - 1]
        let hw = h * w
        var out: [Int] = []
        mask.withUnsafeBufferPointer { m in
            for z in 0..<d {
                for y in 0..<h {
                    let row = z * hw + y * w
                    for x in 0..<w {
                        let i = row + x
                        guard m[i] else { continue }
                        var interior = x > 0 && x < w - 1 && y > 0 && y < h - 1
                        if interior && is3D { interior = z > 0 && z < d - 1 }
                        if interior {
                            interior = m[i - 1] && m[i + 1] && m[i - w] && m[i + w]
                            if interior && is3D { interior = m[i - hw] && m[i + hw] }
                        }
                        if !interior { out.append(i) }
                    }
                }
            }
        }
        return out
    }

    /// Boolean surface mask of `mask` (same layout).
    public static func mask(of mask: [Bool], shape: [Int]) throws -> [Bool] {
        var out = [Bool](repeating: false, count: mask.count)
        for i in try indices(of: mask, shape: shape) { out[i] = true }
        return out
    }
}
