import CKernels
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
        run(chunks: chunks) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }

    /// How long an idle pool worker polls for the next loop before it sleeps (nanoseconds). A training step's loops
    /// follow each other within microseconds; a worker that slept was woken through the kernel for each (~40 us on
    /// this machine), longer than many loops of a small network take.
    public static let pollNanoseconds = 200_000

    /// False when the environment sets `SEMISEG_THREAD_POOL=0`: every loop then goes through libdispatch (the engine's
    /// behaviour before the pool; for comparisons and for ThreadSanitizer runs).
    static let usePool: Bool = {
        guard let value = getenv("SEMISEG_THREAD_POOL") else { return true }
        return String(cString: value) != "0"
    }()

    /// The pool's workers besides the calling thread: `threads - 1`, at most one per other core. Polling workers on an
    /// oversubscribed machine take turns from the threads doing the work (`--threads 4` on 2 cores: deeplabv3 2D's
    /// train step 0.0225-0.0253 s on libdispatch, 0.0271-0.0287 s with 3 workers); with fewer workers than chunks the
    /// chunks are simply taken in turn.
    static var poolWorkers: Int { Swift.min(threads, ProcessInfoCores.count) - 1 }

    /// Runs `body(c)` for c in 0..<chunks, in parallel: on the engine's pool (`ssk_pool_run`, CKernels/thread_pool.c:
    /// `poolWorkers` workers that poll for work, the calling thread runs chunks too), or through libdispatch when the
    /// pool is busy (another thread's loop, or a loop inside a chunk) or was started for another thread count.
    static func run(chunks: Int, _ body: (Int) -> Void) {
        let ran = usePool && withoutActuallyEscaping(body) { escaping -> Bool in
            var job = PoolJob(body: escaping)
            return withUnsafeMutablePointer(to: &job) { p in
                ssk_pool_run(chunks, { ctx, c in ctx!.assumingMemoryBound(to: PoolJob.self).pointee.body(c) },
                             p, Int32(poolWorkers), pollNanoseconds) != 0
            }
        }
        if !ran { DispatchQueue.concurrentPerform(iterations: chunks, execute: body) }
    }
}

/// The loop body `Parallel.run` hands to the pool's threads (read through a pointer while the call lasts).
private struct PoolJob {
    let body: (Int) -> Void
}

enum ProcessInfoCores {
    /// The machine's online cores, read once (`sysconf` reads /sys on every call; `Parallel.run` asks on every loop).
    static let count: Int = {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 2
        #endif
    }()
}
#if canImport(Glibc)
import Glibc
#endif
