import Dispatch

/// Work splitting across the machine's cores.
public enum Parallel {
    /// Number of worker chunks (the cores this process may use). Set from the CLI's `--threads`.
    /// Setting it also puts OpenBLAS on the calling thread (`ConvKernels.blasSingleThreaded`).
    nonisolated(unsafe) public static var threads: Int = max(1, min(ProcessInfoCores.count, 64)) {
        didSet { _ = ConvKernels.blasSingleThreaded }
    }

    /// Runs `body(range)` over `0..<n` split into contiguous chunks, in parallel when `n` is large enough.
    ///
    /// `minPerChunk` keeps tiny loops on one thread (dispatch overhead is a few microseconds).
    @inline(__always)
    public static func forEachChunk(_ n: Int, minPerChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(threads, max(1, n / max(minPerChunk, 1)))
        if chunks <= 1 || n <= 1 { if n > 0 { body(0..<n) }; return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}

enum ProcessInfoCores {
    static var count: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 2
        #endif
    }
}
#if canImport(Glibc)
import Glibc
#endif
