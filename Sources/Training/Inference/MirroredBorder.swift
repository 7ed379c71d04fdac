import Engine

/// Test-time prediction with the image border extrapolated by mirroring, as the original U-Net does for border pixels
/// ("the missing context is extrapolated by mirroring the input image", Ronneberger et al. 2015, overlap-tile).
///
/// Without it the network sees zero padding right at the image border, a context it never meets inside the image:
/// its predictions there are less sure than one voxel further in, which shows as bright lines along the border of
/// every entropy map. Used by the test evaluation of `train`/`compare` and by `semiseg predict` (validation during
/// training predicts without it).
public enum MirroredBorder {
    /// Voxels mirrored onto each side of every spatial axis longer than one voxel.
    public static let margin = 8

    /// Per spatial axis of `shape` (`[D, H, W]`): voxels added before and after. Axes of length 1 (2D data) get
    /// none; with `divisor` > 1 (whole-image inference, no patch) the padded length is rounded up to a multiple of it.
    static func padding(_ shape: [Int], divisor: Int) -> [(before: Int, after: Int)] {
        shape.map { n in
            guard n > 1 else { return (0, 0) }
            let m = min(margin, n - 1)  // reflection needs m < n
            var after = m
            if divisor > 1 { while (n + m + after) % divisor != 0 { after += 1 } }
            // Reflection can add at most n - 1 voxels on a side; beyond that repeat the reflection's edge.
            return (m, after)
        }
    }

    /// `t` (`[C, D, H, W]`) with each spatial axis extended by reflection (`d c b | a b c d | c b a`), edge voxels
    /// repeated where the reflection runs out.
    static func pad(_ t: Tensor, _ p: [(before: Int, after: Int)]) -> Tensor {
        let s = t.shape, c = s[0], (d, h, w) = (s[1], s[2], s[3])
        let nd = d + p[0].before + p[0].after, nh = h + p[1].before + p[1].after, nw = w + p[2].before + p[2].after
        func src(_ i: Int, _ n: Int, _ before: Int) -> Int {
            var j = i - before
            if n == 1 { return 0 }
            if j < 0 { j = -j }
            if j >= n { j = 2 * (n - 1) - j }
            return min(max(j, 0), n - 1)
        }
        let zi = (0..<nd).map { src($0, d, p[0].before) }, yi = (0..<nh).map { src($0, h, p[1].before) }
        let xi = (0..<nw).map { src($0, w, p[2].before) }
        let x = t.scalars
        var out = [Float](repeating: 0, count: c * nd * nh * nw)
        var o = 0
        for ch in 0..<c {
            for z in 0..<nd { for y in 0..<nh {
                let row = ((ch * d + zi[z]) * h + yi[y]) * w
                for xx in 0..<nw { out[o] = x[row + xi[xx]]; o += 1 }
            } }
        }
        return Tensor(out, shape: [c, nd, nh, nw])
    }

    /// The inverse crop of `pad` for a map `[K, D, H, W]` or `[D, H, W]`.
    static func crop(_ t: Tensor, _ p: [(before: Int, after: Int)]) -> Tensor {
        let s = t.shape, lead = s.count - 3
        var ranges = (0..<lead).map { 0..<s[$0] }
        for a in 0..<3 { ranges.append(p[a].before..<(s[lead + a] - p[a].after)) }
        return t.sliced(ranges)
    }

    /// `trainer.predict` on the mirror-extended image (`[C, D, H, W]`, preprocessed), cropped back: probabilities,
    /// uncertainty maps and extras on the image's own grid.
    public static func predict(_ trainer: Trainer, _ image: Tensor) throws -> Prediction {
        let spatial = Array(image.shape.dropFirst())
        let config = trainer.run.config
        // Whole-image inference needs every model axis divisible by the network's divisor; a sliding window does not.
        let divisor = config.patch == nil ? config.inputDivisor : 1
        var p = padding(spatial, divisor: divisor)
        if config.dims == 2 { p[0] = (0, 0) }
        guard p.contains(where: { $0.before > 0 || $0.after > 0 }) else { return try trainer.predict(image) }
        let pred = try trainer.predict(pad(image, p))
        return Prediction(probabilities: crop(pred.probabilities, p), uncertainty: pred.uncertainty.mapValues { crop($0, p) },
                          extras: pred.extras.mapValues { crop($0, p) })
    }
}
