/// Reductions over axes (sum, mean, max) and argmax.

/// Splits a reduction over one contiguous block of axes into (outer, reduced, inner) extents.
struct ReductionPlan {
    let outShape: [Int]       // with kept (size-1) reduced axes
    let keptStrides: [Int]    // for each input axis, stride into output (0 for reduced axes)

    init(shape: [Int], axes: [Int]) {
        var out = shape
        for a in axes { out[a] = 1 }
        outShape = out
        let os = Shape.strides(out)
        keptStrides = (0..<shape.count).map { axes.contains($0) ? 0 : os[$0] }
    }
}

extension Tensor {
    /// Normalizes and deduplicates axes (empty = all axes).
    func reductionAxes(_ axes: [Int], op: String) -> [Int] {
        let all = axes.isEmpty ? Array(0..<rank) : axes.map { Shape.axis($0, rank: rank, op: op) }
        return Array(Set(all)).sorted()
    }

    /// Maps every input element to its output slot and calls `body(inputIndex, outputIndex)`.
    @inline(__always)
    func forEachReduced(_ plan: ReductionPlan, _ body: (Int, Int) -> Void) {
        let r = rank
        if r == 0 { body(0, 0); return }
        let inner = shape[r - 1], innerStride = plan.keptStrides[r - 1]
        let outer = count / Swift.max(inner, 1)
        var idx = [Int](repeating: 0, count: r)
        var o = 0
        var i = 0
        for _ in 0..<outer {
            for j in 0..<inner { body(i + j, o + j * innerStride) }
            i += inner
            var d = r - 2
            while d >= 0 {
                idx[d] += 1; o += plan.keptStrides[d]
                if idx[d] < shape[d] { break }
                o -= plan.keptStrides[d] * idx[d]; idx[d] = 0
                d -= 1
            }
        }
    }

    /// Sum over `axes` (all axes when empty); `keepDims` keeps them as size 1.
    public func sum(axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        let ax = reductionAxes(axes, op: "sum")
        let plan = ReductionPlan(shape: shape, axes: ax)
        let out = Tensor(zeros: plan.outShape)
        let pi = storage.pointer, po = out.storage.pointer
        if ax == Array(0..<rank) {
            var acc: Double = 0
            for i in 0..<count { acc += Double(pi[i]) }
            po[0] = Float(acc)
        } else {
            forEachReduced(plan) { i, o in po[o] += pi[i] }
        }
        let inShape = shape
        let result = keepDims ? out : out.reshapedNoGrad(plan.outShape.enumerated().filter { !ax.contains($0.offset) }.map { $0.element })
        return Tensor.record("sum", result, inputs: [self]) { g in
            [g.reshapedNoGrad(plan.outShape).broadcastNoGrad(to: inShape)]
        }
    }

    /// Mean over `axes` (all axes when empty).
    public func mean(axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        let ax = reductionAxes(axes, op: "mean")
        let n = ax.reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Maximum over `axes`; the gradient goes to the first maximal element.
    public func max(axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        let ax = reductionAxes(axes, op: "max")
        let plan = ReductionPlan(shape: shape, axes: ax)
        let out = Tensor(repeating: -.infinity, shape: plan.outShape)
        let arg = [Int](unsafeUninitializedCapacity: out.count) { b, n in b.initialize(repeating: -1); n = out.count }
        var argmax = arg
        let pi = storage.pointer, po = out.storage.pointer
        forEachReduced(plan) { i, o in
            if pi[i] > po[o] || argmax[o] < 0 { po[o] = pi[i]; argmax[o] = i }
        }
        let inShape = shape
        let result = keepDims ? out : out.reshapedNoGrad(plan.outShape.enumerated().filter { !ax.contains($0.offset) }.map { $0.element })
        let winners = argmax
        return Tensor.record("max", result, inputs: [self]) { g in
            let gi = Tensor(zeros: inShape)
            let pg = g.storage.pointer, pr = gi.storage.pointer
            for (o, i) in winners.enumerated() where i >= 0 { pr[i] += pg[o] }
            return [gi]
        }
    }

    /// Index of the maximum along `axis` (no gradient). Output drops `axis`; values are class indices as Float.
    public func argmax(axis: Int) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "argmax")
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape; outShape.remove(at: a)
        let out = Tensor.empty(outShape)
        let pi = storage.pointer, po = out.storage.pointer
        for o in 0..<outer {
            for j in 0..<inner {
                var best = pi[o * n * inner + j], bi = 0
                for c in 1..<Swift.max(n, 1) {
                    let v = pi[(o * n + c) * inner + j]
                    if v > best { best = v; bi = c }
                }
                po[o * inner + j] = Float(bi)
            }
        }
        return out
    }

    /// Repeats this tensor along size-1 (or missing leading) dimensions to `target` without recording.
    func broadcastNoGrad(to target: [Int]) -> Tensor {
        if shape == target { return self }
        return broadcastBinary(self, Tensor(zeros: target), op: "broadcast") { a, _ in a }
    }
}
