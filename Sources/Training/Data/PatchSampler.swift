import Engine

/// Random training patches with foreground oversampling (nnU-Net: one third of patches centred on foreground).
public struct PatchSampler: Sendable {
    /// Patch size `[D, H, W]`.
    public var patch: [Int]
    /// Probability that a patch is centred on a random foreground voxel (of a random foreground class present).
    public var foregroundProbability: Double

    public init(patch: [Int], foregroundProbability: Double = 0.33) {
        precondition(patch.count == 3 && patch.allSatisfy { $0 > 0 }, "PatchSampler: patch must be [D, H, W] > 0, got \(patch)")
        precondition(foregroundProbability >= 0 && foregroundProbability <= 1, "PatchSampler: foregroundProbability must be in [0, 1]")
        self.patch = patch; self.foregroundProbability = foregroundProbability
    }

    /// Draws a patch start `[z, y, x]` for a volume of `spatialShape` (in the coordinates of the volume padded up to the
    /// patch size): with `foregroundProbability`, containing a random entry of `foregroundVoxels` at a random position
    /// within the patch, else uniform.
    public func drawStart(spatialShape size: [Int], foregroundVoxels: [Int]?, rng: inout RNG) -> [Int] {
        let full = zip(size, patch).map { max($0, $1) }
        var start = [Int](repeating: 0, count: 3)
        let fgDraw = Double(rng.uniform()) < foregroundProbability
        if fgDraw, let fg = foregroundVoxels, !fg.isEmpty {
            let v = fg[rng.int(below: fg.count)]
            let c = [v / (size[1] * size[2]), (v / size[2]) % size[1], v % size[2]]
            // The chosen voxel lands at a uniformly random position inside the patch (nnU-Net), never always at the
            // centre: a centred voxel teaches the network "foreground is where the patch centre is", which then fires
            // at every sliding-window centre at inference.
            for d in 0..<3 {
                let lo = max(c[d] - patch[d] + 1, 0), hi = min(c[d], full[d] - patch[d])
                start[d] = hi > lo ? lo + rng.int(below: hi - lo + 1) : min(max(lo, 0), full[d] - patch[d])
            }
        } else {
            for d in 0..<3 { start[d] = full[d] - patch[d] > 0 ? rng.int(below: full[d] - patch[d] + 1) : 0 }
        }
        return start
    }

    /// Crops a `[C, D, H, W]` or `[D, H, W]` tensor at `start` (from `drawStart`), padding with `padValue` where the
    /// volume is smaller than the patch.
    public func crop(_ t: Tensor, start: [Int], padValue: Float) -> Tensor {
        let lead = t.rank - 3
        precondition(lead == 0 || lead == 1, "PatchSampler.crop: expected [C, D, H, W] or [D, H, W], got \(t.shape)")
        let size = Array(t.shape.suffix(3))
        let padAfter = zip(size, patch).map { max($1 - $0, 0) }
        let src = padAfter.contains(where: { $0 > 0 }) ? t.padded(padAfter.map { (0, $0) }, value: padValue) : t
        let r = (0..<3).map { start[$0]..<(start[$0] + patch[$0]) }
        return src.sliced((lead == 1 ? [0..<t.shape[0]] : []) + r)
    }

    /// Crops one patch from image `[C, D, H, W]` and optional label `[D, H, W]` (image padded with its minimum,
    /// label with 0). Returns the crops and the start position.
    public func sample(image: Tensor, label: Tensor?, foregroundVoxels: [Int]?, rng: inout RNG) -> (image: Tensor, label: Tensor?, start: [Int]) {
        let start = drawStart(spatialShape: Array(image.shape.suffix(3)), foregroundVoxels: foregroundVoxels, rng: &rng)
        let minValue = image.scalars.min() ?? 0
        return (crop(image, start: start, padValue: minValue), label.map { crop($0, start: start, padValue: 0) }, start)
    }

    /// Flat indices of foreground voxels, class-balanced: every foreground class present gets the same number of
    /// entries (small classes repeated), so a uniform draw picks a class uniformly, then a voxel of it. Compute once per case.
    public static func foregroundIndex(_ label: Tensor) -> [Int] {
        let v = label.scalars
        var byClass: [Int: [Int]] = [:]
        for (i, c) in v.enumerated() where c > 0 { byClass[Int(c), default: []].append(i) }
        // Balance classes: take equally many indices (with repetition) from each class present.
        guard let maxCount = byClass.values.map(\.count).max() else { return [] }
        var out: [Int] = []
        for (_, idx) in byClass.sorted(by: { $0.key < $1.key }) {
            for k in 0..<maxCount { out.append(idx[k % idx.count]) }
        }
        return out
    }
}
