import CKernels

/// The worker loops the row-wise direct kernels share (docs/ARCHITECTURE.md, "Engine"): the undilated, dilated
/// (`ConvolutionDirect.swift`, `ConvolutionDilated.swift`) and stem (`ConvolutionStem.swift`) convolutions.
extension ConvKernels {
    /// Calls `body(sample, r0, r1, weights, epilogue)` over every sample's output rows [r0, r1) split across the workers,
    /// with the packed weights and the C form of `epilogue` (nil without one).
    static func forEachOutputRowSpan(batch: Int, rows: Int, packed: [Float], epilogue: Epilogue?,
                                     _ body: (_ sample: Int, _ r0: Int, _ r1: Int, _ w: UnsafePointer<Float>,
                                              _ ep: UnsafePointer<ssk_epilogue>?) -> Void) {
        var ep = ssk_epilogue(scale: epilogue?.scale, shift: epilogue?.shift, relu: epilogue?.relu == true ? 1 : 0)
        packed.withUnsafeBufferPointer { wp in
            guard let wb = wp.baseAddress else { return }
            withUnsafePointer(to: &ep) { epp in
                let epArg = epilogue == nil ? nil : epp
                _ = forEachRowSpan(batch: batch, rows: rows) { _, s, r0, r1 in body(s, r0, r1, wb, epArg) }
            }
        }
    }

    /// Rows per weight-gradient chunk of `width`-wide rows (`weightGradChunkBytes` of x and gy rows, at least
    /// `weightGradChunkPositions` positions), or `override`.
    static func weightGradChunk(cin: Int, cout: Int, width: Int, override: Int?) -> Int {
        override ?? Swift.max(weightGradChunkBytes / ((cin + cout) * width * MemoryLayout<Float>.stride),
                              (weightGradChunkPositions + width - 1) / width)
    }

    /// Overwrites `dw` (`count` floats) with the sum of what `body(target, sample, r0, r1)` adds into `target` over every
    /// sample's rows [r0, r1) split across the workers: worker 0 adds into `dw`, the others into private zeroed buffers that
    /// are added to `dw` at the end in worker order (the same values for the same worker count).
    static func sumOverRowSpans(batch: Int, rows: Int, into dw: UnsafeMutablePointer<Float>, count nw: Int,
                                _ body: (_ target: UnsafeMutablePointer<Float>, _ sample: Int, _ r0: Int, _ r1: Int) -> Void) {
        let workers = Parallel.workerCount(batch * rows)
        let partCount = (workers - 1) * nw, part = BufferPool.take(Swift.max(partCount, 1))
        defer { BufferPool.give(part, Swift.max(partCount, 1)) }
        dw.initialize(repeating: 0, count: nw)
        if partCount > 0 { part.initialize(repeating: 0, count: partCount) }
        _ = forEachRowSpan(batch: batch, rows: rows) { worker, s, r0, r1 in body(worker == 0 ? dw : part + (worker - 1) * nw, s, r0, r1) }
        for wk in 1..<Swift.max(workers, 1) {
            let src = part + (wk - 1) * nw
            for i in 0..<nw { dw[i] += src[i] }
        }
    }
}
