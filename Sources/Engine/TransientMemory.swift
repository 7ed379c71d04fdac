#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zeroed scratch memory mapped for one call and unmapped after it (docs/ARCHITECTURE.md, Engine): for large buffers
/// whose size differs per layer (Winograd's transformed filters and transform-domain gradient sums), which `BufferPool`
/// would keep resident as idle buffers of sizes nothing else asks for.
enum TransientMemory {
    /// Transparent huge page size (x86-64 and arm64 Linux with 4 KB base pages).
    static let hugePageBytes = 2 << 20

    /// Calls `body` with `count` zeroed floats (64-byte aligned), freed when it returns.
    static func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let bytes = Swift.max(count, 1) * MemoryLayout<Float>.stride
        // Large buffers start on a huge-page boundary and ask for transparent huge pages: a 9.4 MB transformed filter
        // took 2300 page faults per call (measured 8 ms under load, 0.7 ms with huge pages).
        let huge = bytes >= hugePageBytes, mapped = huge ? bytes + hugePageBytes : bytes
        guard let raw = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
            p.initialize(repeating: 0, count: Swift.max(count, 1))
            defer { p.deallocate() }
            return body(p)
        }
        defer { munmap(raw, mapped) }
        var start = raw
        if huge {
            start = raw + (hugePageBytes - Int(bitPattern: raw) % hugePageBytes) % hugePageBytes
            #if canImport(Glibc)
            _ = madvise(start, bytes, MADV_HUGEPAGE)  // advisory: without huge pages the buffer works as before
            #endif
        }
        return body(start.bindMemory(to: Float.self, capacity: Swift.max(count, 1)))
    }
}
