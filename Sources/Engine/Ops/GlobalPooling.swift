/// Global average pooling over the spatial dims (the image-pooling branch of DeepLab's ASPP), with its backward rule.

extension Tensor {
    /// The mean of every (sample, channel) plane, as PyTorch's `adaptive_avg_pool2d(x, 1)` / `adaptive_avg_pool3d(x, 1)`.
    ///
    /// `self` is `[N, C, *spatial]` with 1 to 3 spatial dims; returns `[N, C, 1, ...]` (the spatial dims kept as 1).
    /// The gradient spreads each upstream value evenly over its plane. Sums are accumulated in Double.
    public func globalAvgPool() -> Tensor {
        precondition(rank >= 3 && rank <= 5, "globalAvgPool: input must be [N, C, *spatial] with 1 to 3 spatial dims, got \(shape)")
        let planes = shape[0] * shape[1], vol = shape[2...].reduce(1, *)
        precondition(vol > 0, "globalAvgPool: input \(shape) has an empty spatial extent")
        let out = Tensor.empty(Array(shape[..<2]) + [Int](repeating: 1, count: rank - 2))
        let px = storage.pointer, po = out.storage.pointer, inv = 1 / Double(vol)
        let minChunk = Swift.max(1, 65536 / vol)
        Parallel.forEachChunk(planes, minPerChunk: minChunk) { range in
            for plane in range {
                let xs = px + plane * vol
                var s = 0.0
                for i in 0..<vol { s += Double(xs[i]) }
                po[plane] = Float(s * inv)
            }
        }
        return Tensor.record("global_avg_pool", out, inputs: [self]) { gy in
            let gx = Tensor.empty(self.shape)
            let pg = gy.storage.pointer, pr = gx.storage.pointer, w = Float(inv)
            Parallel.forEachChunk(planes, minPerChunk: minChunk) { range in
                for plane in range {
                    let v = pg[plane] * w
                    (pr + plane * vol).update(repeating: v, count: vol)
                }
            }
            return [gx]
        }
    }
}
