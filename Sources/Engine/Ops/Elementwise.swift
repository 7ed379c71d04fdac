/// Elementwise arithmetic with NumPy broadcasting, and unary math, each with its backward rule.

// MARK: - Broadcasting kernel

/// Elements per worker chunk below which an elementwise loop stays on the calling thread (a dispatch costs a few
/// microseconds; 32768 floats take about that long).
let elementwiseChunk = 32768

/// Applies `f` over the broadcast of `a` and `b` (row-major). Inner loop is contiguous where possible.
@inline(__always)
func broadcastBinary(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) -> Tensor {
    guard let outShape = Shape.broadcast(a.shape, b.shape) else {
        preconditionFailure("\(op): shapes \(a.shape) and \(b.shape) cannot be broadcast")
    }
    let out = Tensor.empty(outShape)
    let pa = a.storage.pointer, pb = b.storage.pointer, po = out.storage.pointer
    let n = out.count
    if a.shape == b.shape {
        Parallel.forEachChunk(n, minPerChunk: elementwiseChunk) { r in for i in r { po[i] = f(pa[i], pb[i]) } }
        return out
    }
    if b.count == 1 {
        let s = pb[0]
        if a.count == n {
            Parallel.forEachChunk(n, minPerChunk: elementwiseChunk) { r in for i in r { po[i] = f(pa[i], s) } }
        } else {
            for i in 0..<n { po[i] = f(pa[i % a.count], s) }
        }
        return out
    }
    if a.count == 1 {
        let s = pa[0]
        for i in 0..<n { po[i] = f(s, pb[i % b.count]) }
        return out
    }
    let r = outShape.count
    func bstrides(_ s: [Int]) -> [Int] {
        let padded = [Int](repeating: 1, count: r - s.count) + s
        let st = Shape.strides(padded)
        return (0..<r).map { padded[$0] == 1 ? 0 : st[$0] }
    }
    let sa = bstrides(a.shape), sb = bstrides(b.shape)
    let inner = r == 0 ? 1 : outShape[r - 1]
    let ia = r == 0 ? 0 : sa[r - 1], ib = r == 0 ? 0 : sb[r - 1]
    let outer = n / max(inner, 1)
    var idx = [Int](repeating: 0, count: max(r - 1, 0))
    var oa = 0, ob = 0
    for o in 0..<outer {
        let base = o * inner
        for j in 0..<inner { po[base + j] = f(pa[oa + j * ia], pb[ob + j * ib]) }
        // Advance the outer multi-index.
        var d = r - 2
        while d >= 0 {
            idx[d] += 1; oa += sa[d]; ob += sb[d]
            if idx[d] < outShape[d] { break }
            oa -= sa[d] * idx[d]; ob -= sb[d] * idx[d]; idx[d] = 0
            d -= 1
        }
    }
    return out
}

extension Tensor {
    /// Sums this gradient over broadcast dimensions so it matches `target` (the input's shape).
    public func sumTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        precondition(lead >= 0, "sumTo: cannot reduce \(shape) to \(target)")
        var axes: [Int] = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        return withNoGrad { self.sum(axes: axes, keepDims: true).reshaped(target) }
    }

    // MARK: - Binary operators

    /// Elementwise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, op: "add") { $0 + $1 }
        let sa = a.shape, sb = b.shape
        return record("add", out, inputs: [a, b]) { g in [g.sumTo(sa), g.sumTo(sb)] }
    }

    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, op: "sub") { $0 - $1 }
        let sa = a.shape, sb = b.shape
        return record("sub", out, inputs: [a, b]) { g in [g.sumTo(sa), (-g).sumTo(sb)] }
    }

    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, op: "mul") { $0 * $1 }
        return record("mul", out, inputs: [a, b]) { g in
            [a.requiresGrad ? (g * b).sumTo(a.shape) : nil, b.requiresGrad ? (g * a).sumTo(b.shape) : nil]
        }
    }

    /// Elementwise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, op: "div") { $0 / $1 }
        // The backward rule reads the quotient through a second tensor on the same storage: capturing `out`
        // itself would make a cycle (out -> gradFn -> closure -> out) that leaks a graph never back-propagated.
        let quotient = Tensor(shape: out.shape, storage: out.storage)
        return record("div", out, inputs: [a, b]) { g in
            let ga = a.requiresGrad ? (g / b).sumTo(a.shape) : nil
            let gb = b.requiresGrad ? (-(g * quotient) / b).sumTo(b.shape) : nil
            return [ga, gb]
        }
    }

    /// Negation.
    public static prefix func - (a: Tensor) -> Tensor { a.mapUnary("neg", { -$0 }, derivative: { _, _ in -1 }) }

    // MARK: - Scalar operators

    public static func + (a: Tensor, s: Float) -> Tensor { a.mapUnary("add_scalar", { $0 + s }, derivative: { _, _ in 1 }) }
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.mapUnary("mul_scalar", { $0 * s }, derivative: { _, _ in s }) }
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    public static func - (s: Float, a: Tensor) -> Tensor { (-a) + s }
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }

    // MARK: - Unary math

    /// Applies `f` elementwise; `derivative(x, y)` gives dy/dx from the input and output values.
    @inline(__always)
    func mapUnary(_ name: String, _ f: (Float) -> Float, derivative: @escaping (Float, Float) -> Float) -> Tensor {
        let out = Tensor.empty(shape)
        let pi = storage.pointer, po = out.storage.pointer
        // Elementwise: contiguous chunks on the worker threads give the same values for any thread count.
        Parallel.forEachChunk(count, minPerChunk: elementwiseChunk) { r in for i in r { po[i] = f(pi[i]) } }
        let outStorage = out.storage  // the storage, not the tensor: no reference cycle through the tape
        return Tensor.record(name, out, inputs: [self]) { g in
            let gi = Tensor.empty(self.shape)
            let px = self.storage.pointer, py = outStorage.pointer, pg = g.storage.pointer, pr = gi.storage.pointer
            Parallel.forEachChunk(self.count, minPerChunk: elementwiseChunk) { r in
                for i in r { pr[i] = pg[i] * derivative(px[i], py[i]) }
            }
            return [gi]
        }
    }

    /// e^x.
    public func exp() -> Tensor { mapUnary("exp", { fexp($0) }, derivative: { _, y in y }) }
    /// Natural logarithm.
    public func log() -> Tensor { mapUnary("log", { flog($0) }, derivative: { x, _ in 1 / x }) }
    /// Square root.
    public func sqrt() -> Tensor { mapUnary("sqrt", { fsqrt($0) }, derivative: { _, y in 0.5 / y }) }
    /// x^p for a constant exponent.
    public func pow(_ p: Float) -> Tensor { mapUnary("pow", { fpow($0, p) }, derivative: { x, _ in p * fpow(x, p - 1) }) }
    /// x².
    public func squared() -> Tensor { mapUnary("square", { $0 * $0 }, derivative: { x, _ in 2 * x }) }
    /// |x| (subgradient 0 at 0).
    public func abs() -> Tensor { mapUnary("abs", { Swift.abs($0) }, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }) }
    /// Clamps into [lo, hi]; the gradient is zero outside.
    public func clamped(min lo: Float, max hi: Float) -> Tensor {
        precondition(lo <= hi, "clamp: min \(lo) > max \(hi)")
        return mapUnary("clamp", { Swift.min(Swift.max($0, lo), hi) }, derivative: { x, _ in (x >= lo && x <= hi) ? 1 : 0 })
    }
}
