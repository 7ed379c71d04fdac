import CBLAS

extension Profiler {
    /// GFLOP/s of OpenBLAS `sgemm` on `n x n` matrices with `threads` threads (best of `reps` after a warm-up): the
    /// machine's practical peak that `semiseg bench --layers` measures every convolution against.
    ///
    /// Leaves OpenBLAS single-threaded, its server threads stopped, afterwards (what the convolution kernels need; see
    /// `ConvKernels.blasSingleThreaded`).
    /// Returns GFLOP per wall second and per CPU second of the process (all threads): the second is the per-core rate,
    /// which other processes loading the machine barely change.
    public static func sgemmPeakGFLOPS(threads: Int, n: Int = 2048, reps: Int = 3) -> (wall: Double, perCPUSecond: Double) {
        _ = ConvKernels.blasSingleThreaded
        openblas_set_num_threads(Int32(Swift.max(1, threads)))
        defer { openblas_set_num_threads(1); ConvKernels.stopIdleBLASThreads() }  // no 0.1 s of polling threads after
        let count = n * n
        let a = BufferPool.allocate(count), b = BufferPool.allocate(count), c = BufferPool.allocate(count)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<count { a[i] = Float(i % 7) * 0.125 - 0.375; b[i] = Float(i % 5) * 0.25 - 0.5 }
        var best = Double.infinity, bestCPU = Double.infinity
        for r in 0...Swift.max(1, reps) {
            let t = now(), tc = cpuNow()
            sgemm(transA: false, transB: false, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c, ldc: n)
            let s = Double(now() &- t) / 1e9, sc = Double(cpuNow() &- tc) / 1e9
            if r > 0 { best = Swift.min(best, s); bestCPU = Swift.min(bestCPU, sc) }
        }
        let gflop = 2 * Double(n) * Double(n) * Double(n) / 1e9
        return (gflop / best, gflop / Swift.max(bestCPU, 1e-9))
    }
}
