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
        for b in 0..<n {
            for c in 0..<channels {
                let a = pa[shared ? 0 : c], base = (b * channels + c) * inner
                for i in base..<(base + inner) { let v = px[i]; po[i] = v > 0 ? v : a * v }
            }
        }
        return Tensor.record("prelu", out, inputs: [self, weight]) { g in
            let gx = Tensor.empty(self.shape)
            let ga = Tensor(zeros: weight.shape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer, pga = ga.storage.pointer
            let px = self.storage.pointer, pa = weight.storage.pointer
            for b in 0..<n {
                for c in 0..<channels {
                    let a = pa[shared ? 0 : c], base = (b * channels + c) * inner
                    var s: Float = 0
                    for i in base..<(base + inner) {
                        let v = px[i], gi = pg[i]
                        if v > 0 { pgx[i] = gi } else { pgx[i] = a * gi; s += gi * v }
                    }
                    pga[shared ? 0 : c] += s
                }
            }
            return [gx, ga]
        }
    }
}
