#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zeroed scratch memory mapped for one call and unmapped after it (docs/ARCHITECTURE.md, Engine): for large buffers
/// whose size differs per layer (Winograd's transformed filters and transform-domain gradient sums), which `BufferPool`
/// would keep resident as idle buffers of sizes nothing else asks for.
enum TransientMemory {
    /// Calls `body` with `count` zeroed floats (64-byte aligned), freed when it returns.
    static func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let bytes = Swift.max(count, 1) * MemoryLayout<Float>.stride
        guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
            p.initialize(repeating: 0, count: Swift.max(count, 1))
            defer { p.deallocate() }
            return body(p)
        }
        defer { munmap(raw, bytes) }
        return body(raw.bindMemory(to: Float.self, capacity: Swift.max(count, 1)))
    }
}
