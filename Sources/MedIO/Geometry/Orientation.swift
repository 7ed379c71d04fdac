/// How voxel axes map onto world (RAS+) axes: for each voxel axis `i`, the world axis it runs along
/// (`0` = x/R, `1` = y/A, `2` = z/S) and whether it runs backwards (towards L, P or I). Like nibabel's
/// `io_orientation` "ornt" array.
public struct Orientation: Sendable, Equatable {
    /// `axes[i]` = world axis of voxel axis `i`.
    public var axes: [Int]
    /// `flips[i]` = voxel axis `i` points towards L, P or I.
    public var flips: [Bool]

    /// The orientation with given axes and flips (a permutation of 0, 1, 2).
    public init(axes: [Int], flips: [Bool]) {
        self.axes = axes
        self.flips = flips
    }

    /// nibabel's rule: for each voxel axis in order, the world axis with the largest component of its
    /// (spacing-normalised) direction among world axes not yet taken; the sign gives the flip.
    public init(affine: [[Double]]) {
        var r = (0..<3).map { row in (0..<3).map { col in affine[row][col] } }
        var axes = [0, 1, 2], flips = [false, false, false]
        var taken = [false, false, false]
        for col in 0..<3 {
            // Always a permutation: each column takes a world axis not taken yet, even when its remaining
            // components are all 0 (sheared or degenerate affine) or not finite.
            var best = (0..<3).first { !taken[$0] }!, bestValue = -1.0
            for row in 0..<3 where !taken[row] {
                let value = abs(r[row][col])
                if value.isFinite && value > bestValue { bestValue = value; best = row }
            }
            taken[best] = true
            axes[col] = best
            flips[col] = r[best][col] < 0
            for c in 0..<3 { r[best][c] = 0 }
        }
        self.init(axes: axes, flips: flips)
    }

    /// Axis codes like nibabel's `aff2axcodes`, e.g. `"LPS"` or `"RAS"`.
    public var codes: String {
        String(zip(axes, flips).map { axis, flip in Array(flip ? "LPI" : "RAS")[axis] })
    }

    /// RAS: no permutation, no flips.
    public static let ras = Orientation(axes: [0, 1, 2], flips: [false, false, false])

    /// The orientation that undoes this one (maps RAS-ordered axes back to these voxel axes).
    public var inverse: Orientation {
        var axes = [0, 1, 2], flips = [false, false, false]
        for i in 0..<3 { axes[self.axes[i]] = i; flips[self.axes[i]] = self.flips[i] }
        return Orientation(axes: axes, flips: flips)
    }
}

extension Volume {
    /// The orientation of this volume's voxel axes (from its affine).
    public var orientation: Orientation { Orientation(affine: affine) }

    /// Permutes and flips voxel axes so that voxel axis `orientation.axes[i]` of the result is voxel axis `i`
    /// of `self` (flipped where `orientation.flips[i]`); the affine is updated so every voxel keeps its world
    /// position. Channels are untouched.
    public func transposed(by o: Orientation) -> Volume {
        let old = spatialShape
        var newShape = [0, 0, 0]
        for i in 0..<3 { newShape[o.axes[i]] = old[i] }
        // new index n -> old index: old[i] = flip ? old[i]-1 - n[axes[i]] : n[axes[i]]
        var m = Affine.identity
        for r in 0..<3 { m[r][r] = 0 }
        for i in 0..<3 {
            m[i][o.axes[i]] = o.flips[i] ? -1 : 1
            m[i][3] = o.flips[i] ? Double(old[i] - 1) : 0
        }
        var g = geometry
        g.affine = Affine.multiply(geometry.affine, m)
        if g.sformCode > 0 { g.sform = Affine.multiply(geometry.sform, m) }
        if g.qformCode > 0 { g.qform = Affine.multiply(geometry.qform, m) }
        g.spacing = (0..<3).map { d in geometry.spacing[(0..<3).first { o.axes[$0] == d } ?? d] }
        if g.sformCode == 0 && g.qformCode == 0 { g.sformCode = 1; g.sform = g.affine }
        // strides of the old layout for each new axis
        var stride = [0, 0, 0], start = 0
        let oldStride = [1, old[0], old[0] * old[1]]
        for i in 0..<3 {
            stride[o.axes[i]] = o.flips[i] ? -oldStride[i] : oldStride[i]
            if o.flips[i] { start += (old[i] - 1) * oldStride[i] }
        }
        let plane = old[0] * old[1] * old[2]
        var out = [Float](repeating: 0, count: data.count)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var w = 0
                for c in 0..<channels {
                    let base = c * plane + start
                    for z in 0..<newShape[2] {
                        for y in 0..<newShape[1] {
                            var s = base + z * stride[2] + y * stride[1]
                            for _ in 0..<newShape[0] { dst[w] = src[s]; s += stride[0]; w += 1 }
                        }
                    }
                }
            }
        }
        return Volume(shape: shape.count == 4 ? newShape + [channels] : newShape, data: out, geometry: g)
    }

    /// This volume with voxel axes reordered and flipped to RAS (like nibabel's `as_closest_canonical`),
    /// and the orientation it came from (pass it to `restoringOrientation` to go back).
    public func reorientedToRAS() -> (volume: Volume, original: Orientation) {
        let o = orientation
        return (transposed(by: o), o)
    }

    /// Undoes `reorientedToRAS`: brings a RAS-ordered volume (e.g. a prediction) back to the voxel order of
    /// an image whose orientation was `original`.
    public func restoringOrientation(_ original: Orientation) -> Volume { transposed(by: original.inverse) }
}
