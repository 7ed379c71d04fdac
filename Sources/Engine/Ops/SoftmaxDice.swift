import CKernels

/// Fused soft-Dice statistics of the softmax over the class axis (docs/ARCHITECTURE.md §1, Engine): the sums a soft
/// Dice loss needs, `Σ (p·m)(y·m)`, `Σ p·m`, `Σ y·m` per sample and class, in one SIMD pass over the logits (the C
/// kernel `ssk_softmax_dice_rows`, the exp of the fused cross-entropy) without the probability, one-hot or product
/// tensors of the composite `softmax(axis: 1)`, `oneHot`, `*`, `sum(axes:)`.
extension Tensor {
    /// Soft-Dice sums for logits `[N, K, *spatial]` and a `[N, *spatial]` target of class indices (stored as Float).
    ///
    /// - Parameter voxelWeights: `[N, *spatial]` mask m (1 = use, 0 = ignore; any weights), nil for 1.
    /// - Returns: `sums` `[2, N, K]`: `sums[0]` = Σ over space of (p·m)(y·m) (the soft true positives) and `sums[1]` =
    ///   Σ p·m, differentiable with respect to these logits (p = softmax over the class axis, y = one-hot target); and
    ///   `targetSums` `[N, K]` = Σ y·m (a constant). Sums are taken in double in a fixed order.
    /// - Precondition: every target is in 0..<K.
    public func softmaxDiceSums(target: Tensor, voxelWeights: Tensor? = nil) -> (sums: Tensor, targetSums: Tensor) {
        precondition(rank >= 2, "softmaxDiceSums: logits need shape [N, C, *spatial], got \(shape)")
        let expected = [shape[0]] + shape.dropFirst(2)
        precondition(target.shape == expected, "softmaxDiceSums: target shape \(target.shape) does not match logits \(shape) (expected \(expected))")
        if let voxelWeights { precondition(voxelWeights.shape == expected, "softmaxDiceSums: voxel weights \(voxelWeights.shape) do not match \(expected)") }
        let n = shape[0], k = shape[1], s = shape.dropFirst(2).reduce(1, *)
        precondition(k > 0 && k <= 4096, "softmaxDiceSums: \(k) classes (1...4096)")
        let rowLength = Int(SSK_CE_ROW), rowsPerSample = (s + rowLength - 1) / rowLength, rows = n * rowsPerSample
        let perChunk = Swift.max(1, 65536 / (rowLength * k))
        let wantsGrad = GradMode.isEnabled && requiresGrad
        let probabilities = wantsGrad ? Tensor.empty(shape) : nil
        let px = storage.pointer, pt = target.storage.pointer, pv = voxelWeights.map { UnsafePointer($0.storage.pointer) }
        let pp = probabilities?.storage.pointer
        var rowSums = [Double](repeating: 0, count: rows * k * 3)
        var bad = [Int](repeating: 0, count: rows)
        rowSums.withUnsafeMutableBufferPointer { sums in
            bad.withUnsafeMutableBufferPointer { b in
                let ps = sums.baseAddress!, pb = b.baseAddress!
                Parallel.forEachChunk(rows, minPerChunk: perChunk) { range in
                    for r in range { pb[r] = ssk_softmax_dice_rows(px, pt, pv, Int32(k), s, r, r + 1, ps, pp) }
                }
            }
        }
        let badCount = bad.reduce(0, +)
        precondition(badCount == 0, "softmaxDiceSums: \(badCount) target values outside 0..<\(k) (class indices stored as Float)")
        // Rows of a sample added in row order: [2, N, K] (tp, Σp) and [N, K] (Σy).
        var out = [Float](repeating: 0, count: 2 * n * k), ySums = [Float](repeating: 0, count: n * k)
        for b in 0..<n {
            for c in 0..<k {
                var tp = 0.0, sp = 0.0, sy = 0.0
                for r in b * rowsPerSample..<(b + 1) * rowsPerSample {
                    let o = (r * k + c) * 3
                    tp += rowSums[o]; sp += rowSums[o + 1]; sy += rowSums[o + 2]
                }
                out[b * k + c] = Float(tp); out[(n + b) * k + c] = Float(sp); ySums[b * k + c] = Float(sy)
            }
        }
        let sums = Tensor(out, shape: [2, n, k]), targetSums = Tensor(ySums, shape: [n, k])
        guard let probabilities else { return (Tensor.record("softmax_dice", sums, inputs: [self]) { _ in [nil] }, targetSums) }
        let inShape = shape
        let recorded = Tensor.record("softmax_dice", sums, inputs: [self]) { g in
            let gi = Tensor.empty(inShape)
            let pp = probabilities.storage.pointer, pt = target.storage.pointer, pv = voxelWeights.map { UnsafePointer($0.storage.pointer) }
            let pg = g.storage.pointer, pr = gi.storage.pointer
            Parallel.forEachChunk(rows, minPerChunk: perChunk) { range in
                ssk_softmax_dice_backward_rows(pp, pt, pv, pg, pg + n * k, pr, Int32(k), s, range.lowerBound, range.upperBound)
            }
            return [gi]
        }
        return (recorded, targetSums)
    }
}
