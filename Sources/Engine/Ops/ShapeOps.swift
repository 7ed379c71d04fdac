/// Layout ops: reshape, permute, slice, concat, pad.

extension Tensor {
    /// Same elements viewed with a new shape (one dimension may be -1). Shares storage.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let out = reshapedNoGrad(newShape)
        let inShape = shape
        return Tensor.record("reshape", out, inputs: [self]) { g in [g.reshapedNoGrad(inShape)] }
    }

    func reshapedNoGrad(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshape: cannot infer -1 in \(newShape) for \(count) elements of \(shape)")
            s[i] = count / known
        }
        precondition(Shape.count(s) == count, "reshape: \(shape) (\(count) elements) cannot become \(newShape)")
        return Tensor(shape: s, storage: storage)
    }

    /// Reorders dimensions: output dimension i is input dimension `order[i]`.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.count == rank && Set(order) == Set(0..<rank), "permute: order \(order) is not a permutation of 0..<\(rank) for shape \(shape)")
        let out = permuteNoGrad(order)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return Tensor.record("permute", out, inputs: [self]) { g in [g.permuteNoGrad(inverse)] }
    }

    func permuteNoGrad(_ order: [Int]) -> Tensor {
        let outShape = order.map { shape[$0] }
        let inStrides = Shape.strides(shape)
        let srcStrides = order.map { inStrides[$0] }
        let out = Tensor.empty(outShape)
        let pi = storage.pointer, po = out.storage.pointer
        let r = rank
        if r == 0 { po[0] = pi[0]; return out }
        var idx = [Int](repeating: 0, count: r)
        var src = 0
        let inner = outShape[r - 1], innerStride = srcStrides[r - 1]
        var o = 0
        while o < count {
            for j in 0..<inner { po[o + j] = pi[src + j * innerStride] }
            o += inner
            var d = r - 2
            while d >= 0 {
                idx[d] += 1; src += srcStrides[d]
                if idx[d] < outShape[d] { break }
                src -= srcStrides[d] * idx[d]; idx[d] = 0
                d -= 1
            }
            if d < 0 { break }
        }
        return out
    }

    /// Copies a box: `ranges[i]` selects along dimension i (missing trailing dimensions are taken whole).
    public func sliced(_ ranges: [Range<Int>]) -> Tensor {
        precondition(ranges.count <= rank, "slice: \(ranges.count) ranges for shape \(shape)")
        let full = (0..<rank).map { $0 < ranges.count ? ranges[$0] : 0..<shape[$0] }
        for (d, r) in full.enumerated() {
            precondition(r.lowerBound >= 0 && r.upperBound <= shape[d], "slice: range \(r) out of bounds for dimension \(d) of shape \(shape)")
        }
        let outShape = full.map { $0.count }
        let out = Tensor.empty(outShape)
        Tensor.copyBox(from: self, offsets: full.map { $0.lowerBound }, into: out, at: [Int](repeating: 0, count: rank), extent: outShape)
        let inShape = shape
        return Tensor.record("slice", out, inputs: [self]) { g in
            let gi = Tensor(zeros: inShape)
            Tensor.copyBox(from: g, offsets: [Int](repeating: 0, count: inShape.count), into: gi, at: full.map { $0.lowerBound }, extent: outShape)
            return [gi]
        }
    }

    /// Copies a box of `extent` from `src` at `offsets` into `dst` at `at` (same rank).
    static func copyBox(from src: Tensor, offsets: [Int], into dst: Tensor, at: [Int], extent: [Int]) {
        let r = src.rank
        if Shape.count(extent) == 0 { return }
        if r == 0 { dst.storage.pointer[0] = src.storage.pointer[0]; return }
        let ss = Shape.strides(src.shape), ds = Shape.strides(dst.shape)
        var so = 0, dO = 0
        for d in 0..<r { so += offsets[d] * ss[d]; dO += at[d] * ds[d] }
        let inner = extent[r - 1]
        let ps = src.storage.pointer, pd = dst.storage.pointer
        var idx = [Int](repeating: 0, count: r)
        while true {
            (pd + dO).update(from: ps + so, count: inner)
            var d = r - 2
            while d >= 0 {
                idx[d] += 1; so += ss[d]; dO += ds[d]
                if idx[d] < extent[d] { break }
                so -= ss[d] * idx[d]; dO -= ds[d] * idx[d]; idx[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }

    /// Copies each of `tensors` into `out` at `starts[i]` along `axis` (`concat`'s forward): every tensor is one
    /// contiguous run per index of the dimensions before `axis`, copied whole, the runs split across the workers.
    static func concatCopy(_ tensors: [Tensor], axis a: Int, starts: [Int], into out: Tensor) {
        let outer = out.shape[..<a].reduce(1, *), inner = out.shape[(a + 1)...].reduce(1, *), outRun = out.shape[a] * inner
        let po = out.storage.pointer, jobs = outer * tensors.count
        let sources = tensors.map { UnsafePointer($0.storage.pointer) }, runs = tensors.map { $0.shape[a] * inner }
        Parallel.forEachChunk(jobs, minPerChunk: Swift.max(1, jobs * (1 << 16) / Swift.max(out.count, 1))) { range in
            for job in range {
                let o = job / tensors.count, i = job - o * tensors.count, n = runs[i]
                (po + o * outRun + starts[i] * inner).update(from: sources[i] + o * n, count: n)
            }
        }
    }

    /// The adjoint of `concatCopy` (`concat`'s backward): copies the slab of `source` at `starts[i]` along `axis` into
    /// `parts[i]`, one contiguous run per index of the dimensions before `axis`, the runs split across the workers.
    static func concatSplit(_ source: Tensor, axis a: Int, starts: [Int], into parts: [Tensor]) {
        let outer = source.shape[..<a].reduce(1, *), inner = source.shape[(a + 1)...].reduce(1, *), srcRun = source.shape[a] * inner
        let ps = UnsafePointer(source.storage.pointer), jobs = outer * parts.count
        let dests = parts.map { $0.storage.pointer }, runs = parts.map { $0.shape[a] * inner }
        Parallel.forEachChunk(jobs, minPerChunk: Swift.max(1, jobs * (1 << 16) / Swift.max(source.count, 1))) { range in
            for job in range {
                let o = job / parts.count, i = job - o * parts.count, n = runs[i]
                (dests[i] + o * n).update(from: ps + o * srcRun + starts[i] * inner, count: n)
            }
        }
    }

    /// Concatenates tensors along `axis`; all other dimensions must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat: no tensors")
        let first = tensors[0]
        let a = Shape.axis(axis, rank: first.rank, op: "concat")
        for t in tensors {
            precondition(t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                         "concat: shapes \(tensors.map { $0.shape }) disagree outside axis \(a)")
        }
        var outShape = first.shape
        outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        let out = Tensor.empty(outShape)
        var offset = 0
        var starts: [Int] = []
        for t in tensors {
            starts.append(offset)
            offset += t.shape[a]
        }
        concatCopy(tensors, axis: a, starts: starts, into: out)
        let shapes = tensors.map { $0.shape }
        return record("concat", out, inputs: tensors) { g in
            let parts = shapes.map { Tensor.empty($0) }
            concatSplit(g, axis: a, starts: starts, into: parts)
            return parts
        }
    }

    /// Constant padding: `padding[i] = (before, after)` for dimension i (missing leading dims unpadded).
    public func padded(_ padding: [(Int, Int)], value: Float = 0) -> Tensor {
        precondition(padding.count <= rank, "pad: \(padding.count) pairs for shape \(shape)")
        let pads = [(Int, Int)](repeating: (0, 0), count: rank - padding.count) + padding
        precondition(pads.allSatisfy { $0.0 >= 0 && $0.1 >= 0 }, "pad: negative padding \(padding) (use sliced to crop)")
        let outShape = zip(shape, pads).map { $0 + $1.0 + $1.1 }
        let out = Tensor(repeating: value, shape: outShape)
        let at = pads.map { $0.0 }
        Tensor.copyBox(from: self, offsets: [Int](repeating: 0, count: rank), into: out, at: at, extent: shape)
        let inShape = shape
        return Tensor.record("pad", out, inputs: [self]) { g in
            let gi = Tensor.empty(inShape)
            Tensor.copyBox(from: g, offsets: at, into: gi, at: [Int](repeating: 0, count: inShape.count), extent: inShape)
            return [gi]
        }
    }
}
