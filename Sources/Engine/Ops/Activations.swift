import CKernels

/// Activations and (log-)softmax.

extension Tensor {
    /// max(x, 0) (x for x > 0, else +0); the gradient is g for x > 0, else 0. SIMD loops over contiguous chunks on the
    /// worker threads (`reluKernel`): the values of the scalar rule, and the backward rule no longer calls a closure
    /// per element.
    public func relu() -> Tensor {
        let out = Tensor.empty(shape)
        Tensor.reluKernel(mask: storage.pointer, values: storage.pointer, out.storage.pointer, count)
        return Tensor.record("relu", out, inputs: [self]) { g in
            let gi = Tensor.empty(self.shape)
            Tensor.reluKernel(mask: self.storage.pointer, values: g.storage.pointer, gi.storage.pointer, self.count)
            return [gi]
        }
    }

    /// out[i] = x[i] > 0 ? s[i] : 0 for `n` values: the forward pass with s = x, the backward pass with s = the output
    /// gradient. `out` may alias the inputs.
    static func reluKernel(mask x: UnsafePointer<Float>, values s: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        Parallel.forEachChunk(n, minPerChunk: elementwiseChunk) { r in
            let zero = SIMD8<Float>(repeating: 0)
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                let sv = UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(out + i).storeBytes(of: sv.replacing(with: zero, where: .!(v .> zero)), as: SIMD8<Float>.self)
                i += 8
            }
            while i < r.upperBound { out[i] = x[i] > 0 ? s[i] : 0; i += 1 }
        }
    }

    /// x for x > 0, slope * x otherwise (`torch.nn.functional.leaky_relu`); the gradient is g for x > 0, slope * g
    /// otherwise. SIMD loops over contiguous chunks on the worker threads (same values for any thread count).
    public func leakyRelu(_ slope: Float = 0.01) -> Tensor {
        let out = Tensor.empty(shape)
        Tensor.leakyReluKernel(mask: storage.pointer, scaled: storage.pointer, adding: nil, out.storage.pointer, count, slope: slope)
        return Tensor.record("leaky_relu", out, inputs: [self]) { g in
            let gi = Tensor.empty(self.shape)
            Tensor.leakyReluKernel(mask: self.storage.pointer, scaled: g.storage.pointer, adding: nil, gi.storage.pointer, self.count, slope: slope)
            return [gi]
        }
    }

    /// `residual + self.leakyRelu(slope)`, for inference (nothing records):
    /// one pass over the data instead of two, bit for bit the values of the two ops.
    ///
    /// - Parameter residual: the same shape as `self`.
    /// - Precondition: no history is being recorded for a tensor that requires gradients (call under `withNoGrad`).
    public func leakyReluInference(_ slope: Float, adding residual: Tensor) -> Tensor {
        precondition(residual.shape == shape, "leakyReluInference: residual \(residual.shape) does not match \(shape)")
        precondition(!GradMode.isEnabled || !(requiresGrad || residual.requiresGrad),
                     "leakyReluInference: inference only (no backward rule); call it under withNoGrad, input \(shape)")
        let out = Tensor.empty(shape)
        Tensor.leakyReluKernel(mask: storage.pointer, scaled: storage.pointer, adding: residual.storage.pointer, out.storage.pointer,
                               count, slope: slope)
        if Profiler.isEnabled && !Profiler.inBackward { Profiler.lap("leaky_relu") }
        return out
    }

    /// out[i] = residual[i] + (x[i] > 0 ? s[i] : slope * s[i]) for `n` values (without `residual`, no addition): the
    /// forward pass with s = x, the backward pass with s = the output gradient. `out` may alias the inputs.
    static func leakyReluKernel(mask x: UnsafePointer<Float>, scaled s: UnsafePointer<Float>, adding residual: UnsafePointer<Float>?,
                                _ out: UnsafeMutablePointer<Float>, _ n: Int, slope: Float) {
        Parallel.forEachChunk(n, minPerChunk: elementwiseChunk) { r in
            let vs = SIMD8<Float>(repeating: slope), zero = SIMD8<Float>(repeating: 0)
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                let sv = UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<Float>.self)
                var y = sv.replacing(with: vs * sv, where: .!(v .> zero))
                if let residual { y = UnsafeRawPointer(residual + i).loadUnaligned(as: SIMD8<Float>.self) + y }
                UnsafeMutableRawPointer(out + i).storeBytes(of: y, as: SIMD8<Float>.self)
                i += 8
            }
            while i < r.upperBound {
                let y = x[i] > 0 ? s[i] : slope * s[i]
                out[i] = residual.map { $0[i] + y } ?? y
                i += 1
            }
        }
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
        if inner >= 16 { return simdSoftmax(out, outer: outer, classes: n, inner: inner, log: false) }
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
        if inner >= 16 { return simdSoftmax(out, outer: outer, classes: n, inner: inner, log: true) }
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

    /// Softmax or log-softmax into `out` over the middle extent of an (outer, classes, inner) layout with inner >= 16:
    /// 16 positions per vector along the contiguous inner axis (`ssk_softmax_rows`, the exp and log of the fused
    /// losses, docs/ARCHITECTURE.md §9; within 2 ulp of the scalar path's libm), both passes split over rows of 4096
    /// positions (per position: any split gives the same values).
    func simdSoftmax(_ out: Tensor, outer: Int, classes k: Int, inner: Int, log: Bool) -> Tensor {
        let rowLength = Int(SSK_CE_ROW), rows = outer * ((inner + rowLength - 1) / rowLength)
        let perChunk = Swift.max(1, 65536 / (rowLength * Swift.max(k, 1)))
        let px = storage.pointer, py = out.storage.pointer
        Parallel.forEachChunk(rows, minPerChunk: perChunk) { r in
            ssk_softmax_rows(px, py, Int32(k), inner, r.lowerBound, r.upperBound, log ? 1 : 0)
        }
        let outStorage = out.storage  // the storage, not the tensor: no reference cycle through the tape
        let inShape = shape
        return Tensor.record(log ? "log_softmax" : "softmax", out, inputs: [self]) { g in
            let gi = Tensor.empty(inShape)
            let py = outStorage.pointer, pg = g.storage.pointer, pr = gi.storage.pointer
            Parallel.forEachChunk(rows, minPerChunk: perChunk) { r in
                ssk_softmax_backward_rows(py, pg, pr, Int32(k), inner, r.lowerBound, r.upperBound, log ? 1 : 0)
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
