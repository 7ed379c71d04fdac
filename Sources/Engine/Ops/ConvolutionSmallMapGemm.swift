/// Weight gradient of 2D convolutions on small output maps as one GEMM over the whole batch (docs/ARCHITECTURE.md,
/// "Engine"): the shapes no direct or Winograd kernel takes (8x8 and 4x4 planes, stride-2 3x3 convs, odd sizes) ran one
/// im2col + sgemm per sample, dW += gy_s [Cout, P] * col_s^T [P, K], whose inner dimension P is 16 to 256 positions
/// (an 8x8 map: 64), so each call streamed the whole [Cout, K] accumulator for a few multiply-adds per element, plus a
/// private accumulator per worker. Here the batch's im2col columns and output gradients are gathered into [K, N*P] and
/// [Cout, N*P] (the workers split the samples), then the workers split the output channels of one GEMM with inner
/// dimension N*P (no accumulators to add). Exact arithmetic in another summation order than the per-sample path:
/// within float rounding of it, not bit-identical (ConvolutionSmallMapGemmTests).
extension ConvKernels {
    /// Largest output positions per sample for which the weight gradient gathers the batch (a 16x16 map).
    static let smallMapGemmMaximumPositions = 256
    /// Largest gathered im2col matrix, in floats (16 MB).
    static let smallMapGemmMaximumFloats = 1 << 22

    /// Whether `backwardWeight` takes `smallMapWeightGrad` for a shape that reaches its im2col + sgemm path: 2D,
    /// not 1x1, more than one sample, at most `smallMapGemmMaximumPositions` output positions per sample.
    static func useSmallMapWeightGrad(batch: Int, cin: Int, _ g: WindowGeometry) -> Bool {
        algorithm != .gemm && g.spatialRank == 2 && !g.isPointwise && batch > 1 && g.outputVolume <= smallMapGemmMaximumPositions
            && cin * g.kernelVolume * batch * g.outputVolume <= smallMapGemmMaximumFloats
    }

    /// dw `[Cout, Cin, KH, KW]` = sum over samples of gy_s * im2col(x_s)^T as one GEMM along the batch's positions;
    /// x `[N, Cin, H, W]`, gy `[N, Cout, OH, OW]`. Overwrites `dw`.
    static func smallMapWeightGrad(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                   batch: Int, cin: Int, cout: Int, _ g: WindowGeometry) {
        _ = blasSingleThreaded
        let p = g.outputVolume, k = cin * g.kernelVolume, inStride = cin * g.inputVolume, np = batch * p
        let colCount = k * np, gyCount = cout * np, workers = Parallel.workerCount(batch)
        let tmpCount = workers * k * p
        let buffer = BufferPool.take(colCount + gyCount + tmpCount)
        defer { BufferPool.give(buffer, colCount + gyCount + tmpCount) }
        let col = buffer, gys = buffer + colCount, tmp = gys + gyCount
        Parallel.forEachWorker(batch) { worker, range in
            let t = tmp + worker * k * p
            for s in range {
                im2col(x + s * inStride, g, channels: cin, p0: 0, p1: p, col: t)
                for r in 0..<k { (col + r * np + s * p).update(from: t + r * p, count: p) }
                for co in 0..<cout { (gys + co * np + s * p).update(from: gy + (s * cout + co) * p, count: p) }
            }
        }
        Parallel.forEachChunk(cout, minPerChunk: 8) { r in
            sgemm(transA: false, transB: true, m: r.count, n: k, k: np, a: gys + r.lowerBound * np, lda: np, b: col, ldb: np,
                  c: dw + r.lowerBound * k, ldc: k)
        }
    }
}
