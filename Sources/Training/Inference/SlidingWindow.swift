import Engine

/// Sliding-window inference with Gaussian importance weighting and optional mirroring (nnU-Net style).
public struct SlidingWindow: Sendable {
    /// Patch size, spatial `[D, H, W]` (D = 1 for 2D).
    public var patch: [Int]
    /// Step as a fraction of the patch size (0.5 = 50% overlap).
    public var stepFraction: Double = 0.5
    /// Gaussian sigma as a fraction of the patch size (nnU-Net: 1/8).
    public var sigmaFraction: Double = 0.125
    /// Average predictions over all flips of the spatial axes (test-time augmentation).
    public var mirror: Bool = false
    /// Patches per forward call.
    public var batchSize: Int = 1

    public init(patch: [Int], stepFraction: Double = 0.5, mirror: Bool = false, batchSize: Int = 1) {
        precondition(patch.count == 3 && patch.allSatisfy { $0 > 0 }, "SlidingWindow: patch must be [D, H, W] > 0, got \(patch)")
        precondition(stepFraction > 0 && stepFraction <= 1, "SlidingWindow: stepFraction must be in (0, 1], got \(stepFraction)")
        self.patch = patch; self.stepFraction = stepFraction; self.mirror = mirror; self.batchSize = max(1, batchSize)
    }

    /// Window start positions along one axis covering `size` with windows of `p` (nnU-Net's rule).
    public static func starts(size: Int, p: Int, step: Double) -> [Int] {
        if size <= p { return [0] }
        let target = Double(p) * step
        let n = Int((Double(size - p) / target).rounded(.up)) + 1
        let actual = Double(size - p) / Double(n - 1)
        return (0..<n).map { Int((Double($0) * actual).rounded()) }
    }

    /// The Gaussian importance map for one patch, `[D, H, W]`, max 1, no zeros.
    func importanceMap() -> [Float] {
        let (D, H, W) = (patch[0], patch[1], patch[2])
        func axis(_ n: Int) -> [Double] {
            if n == 1 { return [1] }
            let s = Double(n) * sigmaFraction, c = Double(n - 1) / 2
            return (0..<n).map { i in let d = Double(i) - c; return _exp(-d * d / (2 * s * s)) }
        }
        let gz = axis(D), gy = axis(H), gx = axis(W)
        var m = [Float](repeating: 0, count: D * H * W)
        var mx: Float = 0
        for z in 0..<D { for y in 0..<H { for x in 0..<W {
            let v = Float(gz[z] * gy[y] * gx[x]); m[(z * H + y) * W + x] = v; mx = max(mx, v)
        } } }
        let floor = m.filter { $0 > 0 }.min() ?? 1
        return m.map { max($0 / mx, floor / mx) }
    }

    /// Class probabilities `[K, D, H, W]` for one image `[C, D, H, W]`.
    ///
    /// `forward` maps a batch `[B, C, pD, pH, pW]` (2D models receive `[B, C, pH, pW]` when `patch[0] == 1`) to logits of the
    /// same spatial size with K channels. Inputs smaller than the patch are padded with their minimum and cropped back.
    /// Each window's softmax probabilities are weighted by the Gaussian importance map (`importanceMap`) and the sum is
    /// divided by the summed weights per voxel. Memory besides the network: the image, the `[K, D, H, W]` result and one
    /// `[D, H, W]` weight sum.
    public func predict(_ image: Tensor, classes K: Int, forward: (Tensor) -> Tensor) -> Tensor {
        precondition(image.rank == 4, "SlidingWindow.predict: image must be [C, D, H, W], got \(image.shape)")
        let C = image.shape[0]
        let orig = Array(image.shape[1...])
        // Pad up to the patch size where needed.
        let padAfter = zip(orig, patch).map { max($1 - $0, 0) }
        let img: Tensor
        if padAfter.allSatisfy({ $0 == 0 }) {
            img = image
        } else {
            let minValue = image.withData { $0.min() } ?? 0
            img = image.padded([(0, 0)] + padAfter.map { (0, $0) }, value: minValue)
        }
        let size = Array(img.shape[1...])
        let (D, H, W) = (size[0], size[1], size[2])
        let (pD, pH, pW) = (patch[0], patch[1], patch[2])
        let n = D * H * W, pv = pD * pH * pW
        let weight = importanceMap()
        let out = Tensor(zeros: [K, D, H, W])
        var norm = [Float](repeating: 0, count: n)
        var windows: [(Int, Int, Int)] = []
        for z in SlidingWindow.starts(size: D, p: pD, step: stepFraction) {
            for y in SlidingWindow.starts(size: H, p: pH, step: stepFraction) {
                for x in SlidingWindow.starts(size: W, p: pW, step: stepFraction) { windows.append((z, y, x)) }
            }
        }
        let is2D = pD == 1
        let flips: [[Int]] = mirror ? SlidingWindow.flipSets(is2D: is2D) : [[]]
        var i = 0
        while i < windows.count {
            let batch = Array(windows[i..<min(i + batchSize, windows.count)])
            i += batch.count
            let crops = batch.map { w in img.sliced([0..<C, w.0..<(w.0 + pD), w.1..<(w.1 + pH), w.2..<(w.2 + pW)]) }
            let x = crops.count == 1 ? crops[0].reshaped([1, C, pD, pH, pW]) : Tensor.concat(crops.map { $0.reshaped([1, C, pD, pH, pW]) }, axis: 0)
            var probs: Tensor?
            for f in flips {
                let xin = SlidingWindow.flip(x, axes: f)
                let input = is2D ? xin.reshaped([batch.count, C, pH, pW]) : xin
                let p = withNoGrad { () -> Tensor in
                    let logits = forward(input)
                    precondition(logits.count == batch.count * K * pv,
                                 "SlidingWindow: model returned \(logits.shape), expected \(batch.count) x \(K) x \(patch)")
                    return SlidingWindow.flip(logits.reshaped([batch.count, K, pD, pH, pW]).softmax(axis: 1), axes: f)
                }
                if flips.count == 1 { probs = p; break }
                let scaled = p.scalars.map { $0 / Float(flips.count) }
                if let acc = probs { probs = Tensor(zip(acc.scalars, scaled).map { $0 + $1 }, shape: p.shape) } else { probs = Tensor(scaled, shape: p.shape) }
            }
            guard let probs else { continue }
            out.withMutableData { ob in norm.withUnsafeMutableBufferPointer { nb in weight.withUnsafeBufferPointer { wb in probs.withData { pb in
                guard let o = ob.baseAddress, let nm = nb.baseAddress, let wt = wb.baseAddress, let pr = pb.baseAddress else { return }
                for (b, w) in batch.enumerated() {
                    for zz in 0..<pD {
                        for yy in 0..<pH {
                            let pi = (zz * pH + yy) * pW, vi = ((w.0 + zz) * H + (w.1 + yy)) * W + w.2
                            let wrow = wt + pi, nrow = nm + vi
                            for xx in 0..<pW { nrow[xx] += wrow[xx] }
                            for k in 0..<K {
                                let orow = o + k * n + vi, prow = pr + (b * K + k) * pv + pi
                                for xx in 0..<pW { orow[xx] += wrow[xx] * prow[xx] }
                            }
                        }
                    }
                }
            } } } }
        }
        out.withMutableData { ob in norm.withUnsafeBufferPointer { nb in
            guard let o = ob.baseAddress, let nm = nb.baseAddress else { return }
            for k in 0..<K { let row = o + k * n; for v in 0..<n { row[v] /= nm[v] } }
        } }
        if size == orig { return out }
        return out.sliced([0..<K, 0..<orig[0], 0..<orig[1], 0..<orig[2]])
    }

    /// All subsets of the spatial axes (2, 3, 4 of a `[B, C, D, H, W]` tensor) to mirror.
    static func flipSets(is2D: Bool) -> [[Int]] {
        let axes = is2D ? [3, 4] : [2, 3, 4]
        var sets: [[Int]] = [[]]
        for a in axes { sets += sets.map { $0 + [a] } }
        return sets
    }

    /// Reverses `t` along `axes`.
    static func flip(_ t: Tensor, axes: [Int]) -> Tensor {
        if axes.isEmpty { return t }
        let shape = t.shape
        let strides = Shape.strides(shape)
        let src = t.scalars
        var out = [Float](repeating: 0, count: src.count)
        for i in 0..<src.count {
            var rem = i, j = 0
            for d in 0..<shape.count {
                var c = rem / strides[d]; rem %= strides[d]
                if axes.contains(d) { c = shape[d] - 1 - c }
                j += c * strides[d]
            }
            out[j] = src[i]
        }
        return Tensor(out, shape: shape)
    }
}
