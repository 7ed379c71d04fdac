/// Scratch of the 2D Winograd paths (transformed filters, the weight gradient's transforms and transform-domain sums)
/// taken from `BufferPool` instead of a fresh mapping per call (docs/ARCHITECTURE.md, Engine: buffer pool).
///
/// A fresh mapping is zeroed by the kernel page by page on first touch on every call: on attention-unet's 2D train
/// step (4,1,128,128) `clear_page_erms` and the page-fault path were ~11 % of the profile, about half of it the
/// transformed filters over 2 MB (256->256 at 8x8: 9.4 MB, twice per step). The pool keeps one idle buffer per size;
/// since convolutions run one after another, that is one buffer per distinct layer shape, a few tens of MB for the zoo
/// networks (peak RSS +18-72 MB for segnet, attention-unet, unetpp at 4,1,128,128 and 8,1,256,256: `bench`'s last line).
enum WinogradScratch {
    /// Calls `body` with `count` floats from the pool; contents undefined unless `zeroed` (then filled with 0 on all
    /// workers, as a fresh mapping would be).
    static func with<R>(_ count: Int, zeroed: Bool, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let n = Swift.max(count, 1), p = BufferPool.take(n)
        defer { BufferPool.give(p, n) }
        if zeroed { BufferPool.zeroFill(p, n) }
        return body(p)
    }
}
