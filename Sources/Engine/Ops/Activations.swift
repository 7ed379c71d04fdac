/// Activations and (log-)softmax.

extension Tensor {
    /// max(x, 0).
    public func relu() -> Tensor { mapUnary("relu", { $0 > 0 ? $0 : 0 }, derivative: { x, _ in x > 0 ? 1 : 0 }) }

    /// x for x > 0, slope * x otherwise.
    public func leakyRelu(_ slope: Float = 0.01) -> Tensor {
        mapUnary("leaky_relu", { $0 > 0 ? $0 : slope * $0 }, derivative: { x, _ in x > 0 ? 1 : slope })
    }

    /// 1 / (1 + e^-x).
    public func sigmoid() -> Tensor {
        mapUnary("sigmoid", { 1 / (1 + fexp(-$0)) }, derivative: { _, y in y * (1 - y) })
    }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor { mapUnary("tanh", { ftanh($0) }, derivative: { _, y in 1 - y * y }) }

    /// Extents (outer, n, inner) of a tensor around `axis`.
    func aroundAxis(_ axis: Int, op: String) -> (Int, Int, Int) {
        let a = Shape.axis(axis, rank: rank, op: op)
        return (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
    }

    /// Softmax along `axis` (class axis 1 for N,C,... logits).
    public func softmax(axis: Int = 1) -> Tensor {
        let (outer, n, inner) = aroundAxis(axis, op: "softmax")
        let out = Tensor.empty(shape)
        Tensor.softmaxKernel(storage.pointer, out.storage.pointer, outer: outer, n: n, inner: inner, log: false)
        let outStorage = out.storage  // the storage, not the tensor: no reference cycle through the tape
        return Tensor.record("softmax", out, inputs: [self]) { g in
            // dx = y * (g - sum_c g*y)
            let gi = Tensor.empty(self.shape)
            let py = outStorage.pointer, pg = g.storage.pointer, pr = gi.storage.pointer
            Parallel.forEachChunk(outer * inner, minPerChunk: 4096) { range in  // per position: any split, same values
                for t in range {
                    let o = t / inner, j = t % inner
                    var dot: Float = 0
                    for c in 0..<n { let i = (o * n + c) * inner + j; dot += pg[i] * py[i] }
                    for c in 0..<n { let i = (o * n + c) * inner + j; pr[i] = py[i] * (pg[i] - dot) }
                }
            }
            return [gi]
        }
    }

    /// Log-softmax along `axis`, computed stably.
    public func logSoftmax(axis: Int = 1) -> Tensor {
        let (outer, n, inner) = aroundAxis(axis, op: "log_softmax")
        let out = Tensor.empty(shape)
        Tensor.softmaxKernel(storage.pointer, out.storage.pointer, outer: outer, n: n, inner: inner, log: true)
        let outStorage = out.storage  // the storage, not the tensor: no reference cycle through the tape
        return Tensor.record("log_softmax", out, inputs: [self]) { g in
            // dx = g - softmax * sum_c g
            let gi = Tensor.empty(self.shape)
            let py = outStorage.pointer, pg = g.storage.pointer, pr = gi.storage.pointer
            Parallel.forEachChunk(outer * inner, minPerChunk: 4096) { range in  // per position: any split, same values
                for t in range {
                    let o = t / inner, j = t % inner
                    var s: Float = 0
                    for c in 0..<n { s += pg[(o * n + c) * inner + j] }
                    for c in 0..<n { let i = (o * n + c) * inner + j; pr[i] = pg[i] - fexp(py[i]) * s }
                }
            }
            return [gi]
        }
    }

    /// Softmax or log-softmax over the middle extent of an (outer, n, inner) layout.
    static func softmaxKernel(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, outer: Int, n: Int, inner: Int, log: Bool) {
        Parallel.forEachChunk(outer * inner, minPerChunk: 4096) { range in
            for t in range {
                let o = t / inner, j = t % inner
                let base = o * n * inner + j
                var m = -Float.infinity
                for c in 0..<n { m = Swift.max(m, x[base + c * inner]) }
                var s: Float = 0
                for c in 0..<n { s += fexp(x[base + c * inner] - m) }
                if log {
                    let ls = flog(s) + m
                    for c in 0..<n { y[base + c * inner] = x[base + c * inner] - ls }
                } else {
                    let inv = 1 / s
                    for c in 0..<n { y[base + c * inner] = fexp(x[base + c * inner] - m) * inv }
                }
            }
        }
    }
}
