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

    /// Crops one patch from image `[C, D, H, W]` and optional label `[D, H, W]`; volumes smaller than the patch are
    /// padded (image with its minimum, label with 0). Returns the crop and its start position in the padded volume.
    public func sample(image: Tensor, label: Tensor?, foregroundVoxels: [Int]?, rng: inout RNG) -> (image: Tensor, label: Tensor?, start: [Int]) {
        let size = Array(image.shape[1...])
        let padAfter = zip(size, patch).map { max($1 - $0, 0) }
        var img = image, lab = label
        if padAfter.contains(where: { $0 > 0 }) {
            let m = image.scalars.min() ?? 0
            img = image.padded([(0, 0)] + padAfter.map { (0, $0) }, value: m)
            lab = label?.padded(padAfter.map { (0, $0) }, value: 0)
        }
        let full = Array(img.shape[1...])
        var start = [Int](repeating: 0, count: 3)
        let fgDraw = Double(rng.uniform()) < foregroundProbability
        if fgDraw, let fg = foregroundVoxels, !fg.isEmpty {
            let v = fg[rng.int(below: fg.count)]
            let c = [v / (size[1] * size[2]), (v / size[2]) % size[1], v % size[2]]
            for d in 0..<3 { start[d] = min(max(c[d] - patch[d] / 2, 0), full[d] - patch[d]) }
        } else {
            for d in 0..<3 { start[d] = full[d] - patch[d] > 0 ? rng.int(below: full[d] - patch[d] + 1) : 0 }
        }
        let r = (0..<3).map { start[$0]..<(start[$0] + patch[$0]) }
        let ci = img.sliced([0..<img.shape[0]] + r)
        let cl = lab?.sliced(r)
        return (ci, cl, start)
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
