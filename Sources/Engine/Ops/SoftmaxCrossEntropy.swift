import CKernels

/// Fused softmax cross-entropy over the class axis (docs/ARCHITECTURE.md §1, Engine): the values of
/// `-(logSoftmax(axis: 1) * oneHot).sum(axes: [1])` without the one-hot tensor or the intermediate tensors, SIMD over
/// the contiguous spatial axis (the C kernel `ssk_softmax_ce_rows`). exp and log are polynomials within 2 ulp of
/// libm's, so values differ from the composite ops by float rounding (~1e-7 relative on a loss of order 1).
///
/// Layouts: logits `[N, K, *spatial]`; `target` `[N, *spatial]` holds class indices 0..<K stored as Float (truncated
/// toward zero, as `Int(_:)`); per-voxel weights `[N, *spatial]`.
extension Tensor {
    /// Extents (N, K, S) and the row count of the C kernels for `[N, K, *spatial]` logits and a `[N, *spatial]` target.
    fileprivate func crossEntropyGeometry(_ target: Tensor, weights: Tensor?, op: String) -> (n: Int, k: Int, s: Int, rows: Int) {
        precondition(rank >= 2, "\(op): logits need shape [N, C, *spatial], got \(shape)")
        let expected = [shape[0]] + shape.dropFirst(2)
        precondition(target.shape == expected, "\(op): target shape \(target.shape) does not match logits \(shape) (expected \(expected))")
        if let weights { precondition(weights.shape == expected, "\(op): voxel weights \(weights.shape) do not match \(expected)") }
        let n = shape[0], k = shape[1], s = shape.dropFirst(2).reduce(1, *)
        precondition(k > 0 && k <= Int(Int32.max), "\(op): \(k) classes")
        let rowLength = Int(SSK_CE_ROW)
        return (n, k, s, n * ((s + rowLength - 1) / rowLength))
    }

    /// Rows per worker chunk: about 64k logits, so small losses stay on the calling thread.
    fileprivate static func crossEntropyRowsPerChunk(classes k: Int) -> Int { Swift.max(1, 65536 / (Int(SSK_CE_ROW) * Swift.max(k, 1))) }

    /// The weighted softmax cross-entropy `scale · Σ_v w_v · nll_v` as a scalar (shape `[]`), differentiable with respect
    /// to these logits `[N, K, *spatial]`.
    ///
    /// - Parameters:
    ///   - target: `[N, *spatial]` class indices (constant).
    ///   - classWeights: K weights, w_v multiplied by `classWeights[target_v]` (nil: 1).
    ///   - voxelWeights: `[N, *spatial]`, w_v multiplied by it (a 0/1 mask, or any weights; constant; nil: 1).
    ///   - scale: the factor of the sum; nil divides by Σ_v w_v, and gives 0 when that is 0 (everything masked).
    /// - Returns: `Float(Σ_v Double(w_v · nll_v)) · scale`, the sum taken in double in a fixed order (any thread count
    ///   gives the same value). The gradient `(softmax − onehot) · w_v · scale · g` is computed in the forward pass when
    ///   history is recorded (the backward pass only scales it by the output gradient g).
    /// - Precondition: every target is in 0..<K (the message names the count that is not).
    public func softmaxCrossEntropy(target: Tensor, classWeights: [Float]? = nil, voxelWeights: Tensor? = nil,
                                    scale: Float? = nil) -> Tensor {
        let (_, k, s, rows) = crossEntropyGeometry(target, weights: voxelWeights, op: "softmaxCrossEntropy")
        if let classWeights { precondition(classWeights.count == k, "softmaxCrossEntropy: \(classWeights.count) class weights for \(k) classes") }
        let perChunk = Tensor.crossEntropyRowsPerChunk(classes: k)
        let px = storage.pointer, pt = target.storage.pointer, pv = voxelWeights.map { UnsafePointer($0.storage.pointer) }
        var partials = [Double](repeating: 0, count: rows)
        let factor: Float = classWeights.withOptionalBuffer { pcw in
            if let scale { return scale }
            // Σ w first: the gradient written in the forward pass needs the normaliser.
            let bad = partials.withUnsafeMutableBufferPointer { part in
                Tensor.sumOverRows(rows, perChunk: perChunk) { r0, r1 in
                    ssk_ce_weight_rows(pt, pcw, pv, Int32(k), s, r0, r1, part.baseAddress)
                }
            }
            precondition(bad == 0, "softmaxCrossEntropy: \(bad) target values outside 0..<\(k) (class indices stored as Float)")
            let total = Float(partials.reduce(0, +))
            return total > 0 ? 1 / total : 0
        }
        let wantsGrad = GradMode.isEnabled && requiresGrad
        let grad = wantsGrad ? Tensor.empty(shape) : nil
        let pg = grad?.storage.pointer
        let badTargets = classWeights.withOptionalBuffer { pcw in
            partials.withUnsafeMutableBufferPointer { part in
                Tensor.sumOverRows(rows, perChunk: perChunk) { r0, r1 in
                    ssk_softmax_ce_rows(px, pt, pcw, pv, Int32(k), s, r0, r1, part.baseAddress, nil, pg, factor, 1)
                }
            }
        }
        precondition(badTargets == 0, "softmaxCrossEntropy: \(badTargets) target values outside 0..<\(k) (class indices stored as Float)")
        let out = Tensor([Float(partials.reduce(0, +)) * factor], shape: [])
        guard let grad else { return Tensor.record("softmax_cross_entropy", out, inputs: [self]) { _ in [nil] } }
        return Tensor.record("softmax_cross_entropy", out, inputs: [self]) { g in
            let gs = g.storage.pointer[0]
            if gs != 1 {
                let p = grad.storage.pointer
                Parallel.forEachChunk(grad.count, minPerChunk: elementwiseChunk) { r in
                    var i = r.lowerBound
                    while i + 8 <= r.upperBound {
                        let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) * gs
                        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<Float>.self)
                        i += 8
                    }
                    while i < r.upperBound { p[i] *= gs; i += 1 }
                }
            }
            return [grad]  // the tape runs this rule once: the buffer is handed over, not copied
        }
    }

    /// Per-voxel negative log-likelihood of the target class, `[N, *spatial]`, for logits `[N, K, *spatial]`:
    /// `log Σ_c exp(x_c) − x_target`, differentiable with respect to the logits (backward: `(softmax − onehot) · g`).
    ///
    /// - Precondition: every target is in 0..<K.
    public func softmaxCrossEntropyPerVoxel(target: Tensor) -> Tensor {
        let (_, k, s, rows) = crossEntropyGeometry(target, weights: nil, op: "softmaxCrossEntropyPerVoxel")
        let perChunk = Tensor.crossEntropyRowsPerChunk(classes: k)
        let out = Tensor.empty(target.shape)
        let wantsGrad = GradMode.isEnabled && requiresGrad
        let probabilities = wantsGrad ? Tensor.empty(shape) : nil
        let px = storage.pointer, pt = target.storage.pointer, po = out.storage.pointer, pp = probabilities?.storage.pointer
        let bad = Tensor.sumOverRows(rows, perChunk: perChunk) { r0, r1 in
            ssk_softmax_ce_rows(px, pt, nil, nil, Int32(k), s, r0, r1, nil, po, pp, 1, 0)
        }
        precondition(bad == 0, "softmaxCrossEntropyPerVoxel: \(bad) target values outside 0..<\(k) (class indices stored as Float)")
        guard let probabilities else { return Tensor.record("softmax_cross_entropy", out, inputs: [self]) { _ in [nil] } }
        let inShape = shape
        return Tensor.record("softmax_cross_entropy", out, inputs: [self]) { g in
            let gi = Tensor.empty(inShape)
            let pp = probabilities.storage.pointer, pt = target.storage.pointer, pg = g.storage.pointer, pr = gi.storage.pointer
            Parallel.forEachChunk(rows, minPerChunk: perChunk) { r in
                ssk_softmax_ce_backward_rows(pp, pt, pg, pr, Int32(k), s, r.lowerBound, r.upperBound)
            }
            return [gi]
        }
    }

    /// Runs `body(r, r + 1)` for every row of `0..<rows` in worker chunks of at least `perChunk` rows and adds up what
    /// it returns (one slot per row: no shared counter).
    fileprivate static func sumOverRows(_ rows: Int, perChunk: Int, _ body: (Int, Int) -> Int) -> Int {
        var counts = [Int](repeating: 0, count: rows)
        counts.withUnsafeMutableBufferPointer { c in
            let cp = c.baseAddress!
            Parallel.forEachChunk(rows, minPerChunk: perChunk) { range in
                for r in range { cp[r] = body(r, r + 1) }
            }
        }
        return counts.reduce(0, +)
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with the array's base address, or nil.
    fileprivate func withOptionalBuffer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let a): return a.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
