#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scratch of the 2D Winograd paths (transformed filters, the weight gradient's transforms and transform-domain sums)
/// taken from `BufferPool` instead of a fresh mapping per call (docs/ARCHITECTURE.md, Engine: buffer pool).
///
/// A fresh mapping is zeroed by the kernel page by page on first touch on every call: on attention-unet's 2D train
/// step (4,1,128,128) `clear_page_erms` and the page-fault path were ~11 % of the profile, about half of it the
/// transformed filters over 2 MB (256->256 at 8x8: 9.4 MB, twice per step). The pool keeps one idle buffer per size;
/// since convolutions run one after another, that is one buffer per distinct layer shape, a few tens of MB for the zoo
/// networks (peak RSS measured unchanged within noise, see `bench`'s last line).
enum WinogradScratch {
    /// Calls `body` with `count` floats from the pool; contents undefined unless `zeroed` (then filled with 0 on all
    /// workers, as a fresh mapping would be).
    static func with<R>(_ count: Int, zeroed: Bool, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let n = Swift.max(count, 1), p = BufferPool.take(n)
        defer { BufferPool.give(p, n) }
        if zeroed { zero(p, n) }
        return body(p)
    }

    /// p[0 ..< count] = 0, split over the workers above 256 K floats.
    static func zero(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        Parallel.forEachChunk(count, minPerChunk: 1 << 18) { r in
            _ = memset(p + r.lowerBound, 0, r.count * MemoryLayout<Float>.stride)
        }
    }
}
