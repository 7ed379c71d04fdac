/// Parametric ReLU (He et al. 2015) with its backward rule, like `torch.nn.functional.prelu`.

extension Tensor {
    /// `x` for x > 0, `a_c · x` otherwise, with one slope per channel (axis 1 of `[N, C, *spatial]`) or one shared
    /// slope: `weight` is `[C]` or `[1]`.
    ///
    /// Gradients (PyTorch's): dx = g for x > 0, a_c · g otherwise; da_c = Σ g · x over the elements of channel c with
    /// x <= 0 (all elements for a shared slope).
    public func prelu(_ weight: Tensor) -> Tensor {
        precondition(weight.rank == 1, "prelu: weight must be [C] or [1], got \(weight.shape)")
        let channels = rank >= 2 ? shape[1] : 1
        precondition(weight.count == 1 || (rank >= 2 && weight.count == channels),
                     "prelu: weight \(weight.shape) does not match the channels of input \(shape)")
        let n = rank >= 2 ? shape[0] : 1
        let inner = rank >= 2 ? Shape.count(Array(shape.dropFirst(2))) : count
        let shared = weight.count == 1
        let out = Tensor.empty(shape)
        let px = storage.pointer, pa = weight.storage.pointer, po = out.storage.pointer
        // Parallel over (sample, channel) planes; branch-free inner loops (they vectorise).
        Parallel.forEachChunk(n * channels, minPerChunk: Swift.max(1, 16_384 / Swift.max(inner, 1))) { planes in
            for sc in planes {
                let a = pa[shared ? 0 : sc % channels], base = sc * inner
                for i in base..<(base + inner) { let v = px[i]; po[i] = v > 0 ? v : a * v }
            }
        }
        return Tensor.record("prelu", out, inputs: [self, weight]) { g in
            let gx = Tensor.empty(self.shape)
            let ga = Tensor(zeros: weight.shape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer, pga = ga.storage.pointer
            let px = self.storage.pointer, pa = weight.storage.pointer
            // Per-plane sums of g * x over x <= 0, reduced in a fixed order afterwards (deterministic for any thread count).
            var sums = [Float](repeating: 0, count: n * channels)
            sums.withUnsafeMutableBufferPointer { ps in
                guard let psum = ps.baseAddress else { return }  // no planes (an empty batch)
                Parallel.forEachChunk(n * channels, minPerChunk: Swift.max(1, 16_384 / Swift.max(inner, 1))) { planes in
                    for sc in planes {
                        let a = pa[shared ? 0 : sc % channels], base = sc * inner
                        // Eight running sums (one SIMD register) instead of one serial sum.
                        var s8 = SIMD8<Float>(repeating: 0)
                        let va = SIMD8<Float>(repeating: a), zero = SIMD8<Float>(repeating: 0)
                        var i = base
                        while i + 8 <= base + inner {
                            let v = UnsafeRawPointer(px + i).loadUnaligned(as: SIMD8<Float>.self)
                            let gi = UnsafeRawPointer(pg + i).loadUnaligned(as: SIMD8<Float>.self)
                            let pos = v .> zero
                            UnsafeMutableRawPointer(pgx + i).storeBytes(of: gi.replacing(with: va * gi, where: .!pos), as: SIMD8<Float>.self)
                            s8 += (gi * v).replacing(with: 0, where: pos)
                            i += 8
                        }
                        var s = s8.sum()
                        while i < base + inner {
                            let v = px[i], gi = pg[i], pos = v > 0
                            pgx[i] = pos ? gi : a * gi
                            s += pos ? 0 : gi * v
                            i += 1
                        }
                        psum[sc] = s
                    }
                }
            }
            for sc in 0..<(n * channels) { pga[shared ? 0 : sc % channels] += sums[sc] }
            return [gx, ga]
        }
    }
}
