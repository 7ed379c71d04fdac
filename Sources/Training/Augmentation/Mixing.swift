import Engine

/// An axis-aligned box of voxels in a `[D, H, W]` grid (D = 1 in 2D): `start` and `size` per axis, in voxels.
public struct MixBox: Sendable, Equatable {
    /// First voxel `[z, y, x]` and extent `[d, h, w]` of the box.
    public let start: [Int]
    public let size: [Int]

    public init(start: [Int], size: [Int]) {
        precondition(start.count == 3 && size.count == 3, "MixBox: start and size are [z, y, x], got \(start), \(size)")
        self.start = start; self.size = size
    }

    /// A box whose sides are `fraction` of the grid's sides (rounded down, at least 1 voxel; an axis of extent 1, the
    /// slice axis in 2D, is kept whole), at a uniformly random position: BCP's `generate_mask` (fraction 2/3) in 2D and 3D.
    public static func random(spatial: [Int], sideFraction fraction: Double, rng: inout RNG) -> MixBox {
        precondition(spatial.count == 3 && fraction > 0 && fraction <= 1, "MixBox.random: spatial [D, H, W] and fraction in (0, 1]")
        var start: [Int] = [], size: [Int] = []
        for n in spatial {
            let s = n == 1 ? 1 : max(1, min(n, Int(Double(n) * fraction)))
            size.append(s)
            start.append(n - s > 0 ? rng.int(below: n - s + 1) : 0)
        }
        return MixBox(start: start, size: size)
    }

    /// A box covering a random fraction of the volume in `areaFraction` with a random aspect ratio in
    /// `[aspect, 1/aspect]` between its in-plane sides (the CutMix / CutOut box of FixMatch and UniMatch: area
    /// 0.02–0.4, aspect 0.3); in 3D the depth side takes the cube root share of the volume. Clipped to the grid.
    public static func random(spatial: [Int], areaFraction: ClosedRange<Double>, aspect: Double, rng: inout RNG) -> MixBox {
        precondition(spatial.count == 3 && areaFraction.lowerBound > 0 && areaFraction.upperBound <= 1 && aspect > 0 && aspect <= 1,
                     "MixBox.random: spatial [D, H, W], area fraction in (0, 1], aspect in (0, 1]")
        let f = areaFraction.lowerBound + Double(rng.uniform()) * (areaFraction.upperBound - areaFraction.lowerBound)
        let r = aspect + Double(rng.uniform()) * (1 / aspect - aspect)
        let is3D = spatial[0] > 1
        let planeShare = is3D ? _pow(f, 2.0 / 3.0) : f          // fraction of the H x W plane
        let depthShare = is3D ? _pow(f, 1.0 / 3.0) : 1
        let hw = planeShare * Double(spatial[1] * spatial[2])
        let h = Int((hw * r).squareRoot().rounded()), w = Int((hw / r).squareRoot().rounded())
        let d = is3D ? Int((depthShare * Double(spatial[0])).rounded()) : 1
        let size = [d, h, w].enumerated().map { i, s in max(1, min(spatial[i], s)) }
        let start = size.enumerated().map { i, s in spatial[i] - s > 0 ? rng.int(below: spatial[i] - s + 1) : 0 }
        return MixBox(start: start, size: size)
    }

    /// Whether voxel `(z, y, x)` is inside.
    @inline(__always) public func contains(_ z: Int, _ y: Int, _ x: Int) -> Bool {
        z >= start[0] && z < start[0] + size[0] && y >= start[1] && y < start[1] + size[1] && x >= start[2] && x < start[2] + size[2]
    }

    /// The box as a `[D, H, W]` map: 1 inside, 0 outside.
    public func map(spatial: [Int]) -> Tensor {
        var m = [Float](repeating: 0, count: spatial.reduce(1, *))
        for z in 0..<spatial[0] { for y in 0..<spatial[1] { for x in 0..<spatial[2] where contains(z, y, x) {
            m[(z * spatial[1] + y) * spatial[2] + x] = 1
        } } }
        return Tensor(m, shape: spatial)
    }
}

/// CutMix / copy-paste between two batches of the same shape: images `[B, C, *spatial]`, probabilities `[B, K, *spatial]`
/// or targets `[B, *spatial]` (model layout), with a per-sample region `[B, *spatial]` (1 = take the voxel from the
/// pasted batch). Results are constants (no autograd history): mix inputs and targets, then run the network.
public enum Mixing {
    /// `region ? pasted : base` voxel by voxel, for every channel. `region` is `[B, *spatial]` of 0/1 (values in between
    /// blend linearly, as MixUp would).
    public static func paste(_ pasted: Tensor, into base: Tensor, region: Tensor) -> Tensor {
        precondition(pasted.shape == base.shape, "Mixing.paste: shapes \(pasted.shape) and \(base.shape) differ")
        let b = base.shape[0]
        precondition(region.shape[0] == b, "Mixing.paste: region \(region.shape) is not per sample of \(base.shape)")
        let n = region.count / max(b, 1)
        precondition(n > 0 && base.count % (b * n) == 0, "Mixing.paste: region \(region.shape) does not fit \(base.shape)")
        let channels = base.count / (b * n)
        let p = pasted.scalars, r = region.scalars
        var out = base.scalars
        for s in 0..<b { for c in 0..<channels {
            let o = (s * channels + c) * n
            for i in 0..<n {
                let m = r[s * n + i]
                if m == 1 { out[o + i] = p[o + i] } else if m != 0 { out[o + i] = m * p[o + i] + (1 - m) * out[o + i] }
            }
        } }
        return Tensor(out, shape: base.shape)
    }

    /// The region `[B, *spatial]` for one box per sample (`boxes.count` = B), in the model layout of `like`
    /// (`[B, C, H, W]` → `[B, H, W]`, `[B, C, D, H, W]` → `[B, D, H, W]`).
    public static func region(_ boxes: [MixBox], like batch: Tensor) -> Tensor {
        let spatial = BatchSamples.spatialShape(batch)
        precondition(boxes.count == batch.shape[0], "Mixing.region: \(boxes.count) boxes for a batch of \(batch.shape[0])")
        let maps = boxes.map { $0.map(spatial: spatial) }
        return BatchSamples.stack(maps, like: [batch.shape[0]] + Array(batch.shape.dropFirst(2)))
    }

    /// CutOut: every voxel of `batch` (`[B, C, *spatial]`) inside `region` set to `fill` (per sample and channel:
    /// the sample's channel mean when `fill` is nil, i.e. a grey box in normalised intensities).
    public static func cutOut(_ batch: Tensor, region: Tensor, fill: Float? = nil) -> Tensor {
        let b = batch.shape[0]
        let n = region.count / max(b, 1)
        let channels = batch.count / max(b * n, 1)
        let r = region.scalars
        var out = batch.scalars
        for s in 0..<b { for c in 0..<channels {
            let o = (s * channels + c) * n
            var mean: Float = 0
            if fill == nil { for i in 0..<n { mean += out[o + i] }; mean /= Float(max(n, 1)) }
            let v = fill ?? mean
            for i in 0..<n where r[s * n + i] > 0 { out[o + i] = v }
        } }
        return Tensor(out, shape: batch.shape)
    }
}
