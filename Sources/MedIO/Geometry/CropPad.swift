/// A record of a crop/pad so it can be undone: the shape before and the per-axis offset
/// (new index = old index + offset; positive = padding before, negative = cropping).
public struct CropPad: Sendable, Equatable {
    /// Spatial shape (x, y, z) before the operation.
    public var originalShape: [Int]
    /// Per-axis shift of voxel indices.
    public var offset: [Int]
}

extension Volume {
    /// Crops or pads every channel to spatial `newShape` (x, y, z); by default centred (offset
    /// `floor((new - old) / 2)` per axis). Padding uses `value` (e.g. -1024 HU, or 0 for labels). The affine is
    /// shifted so every kept voxel keeps its world position.
    public func cropOrPad(to newShape: [Int], value: Float = 0, offset: [Int]? = nil) -> (volume: Volume, record: CropPad) {
        let old = spatialShape
        let off = offset ?? (0..<3).map { Int((Double(newShape[$0] - old[$0]) / 2).rounded(.down)) }
        var out = [Float](repeating: value, count: newShape.reduce(1, *) * channels)
        let oldPlane = old[0] * old[1], newPlane = newShape[0] * newShape[1]
        let x0 = max(0, off[0]), x1 = min(newShape[0], old[0] + off[0])
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard x0 < x1 else { return }
                for c in 0..<channels {
                    for z in max(0, off[2])..<max(max(0, off[2]), min(newShape[2], old[2] + off[2])) {
                        for y in max(0, off[1])..<max(max(0, off[1]), min(newShape[1], old[1] + off[1])) {
                            let s = c * oldPlane * old[2] + (z - off[2]) * oldPlane + (y - off[1]) * old[0]
                            let d = c * newPlane * newShape[2] + z * newPlane + y * newShape[0]
                            for x in x0..<x1 { dst[d + x] = src[s + x - off[0]] }
                        }
                    }
                }
            }
        }
        var m = Affine.identity
        for d in 0..<3 { m[d][3] = Double(-off[d]) }
        var g = geometry
        g.affine = Affine.multiply(geometry.affine, m)
        if g.sformCode > 0 { g.sform = Affine.multiply(geometry.sform, m) }
        if g.qformCode > 0 { g.qform = Affine.multiply(geometry.qform, m) }
        if g.sformCode == 0 && g.qformCode == 0 { g.sformCode = 1; g.sform = g.affine }
        let v = Volume(shape: shape.count == 4 ? newShape + [channels] : newShape, data: out, geometry: g)
        return (v, CropPad(originalShape: old, offset: off))
    }

    /// Pads (centred) each spatial axis up to the next multiple of `multiple` (e.g. 2^depth = 16 for a U-Net
    /// with four poolings). Undo with `undoCropPad`.
    public func paddedToMultiple(of multiple: Int, value: Float = 0) -> (volume: Volume, record: CropPad) {
        let target = spatialShape.map { ($0 + multiple - 1) / multiple * multiple }
        return cropOrPad(to: target, value: value)
    }

    /// Reverses a `cropOrPad`/`paddedToMultiple` (regions that were cropped away come back as `value`).
    public func undoCropPad(_ r: CropPad, value: Float = 0) -> Volume {
        cropOrPad(to: r.originalShape, value: value, offset: r.offset.map { -$0 }).volume
    }
}
