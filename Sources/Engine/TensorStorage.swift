import CKernels

/// Contiguous, 64-byte aligned Float32 buffer owned by one or more `Tensor`s.
///
/// Unsafe pointers stay inside Engine; everything above sees `Tensor`.
public final class TensorStorage: @unchecked Sendable {
    /// Number of Float32 elements.
    public let count: Int
    /// Start of the buffer (aligned to 64 bytes for AVX-512 loads).
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` elements, zero-filled when `zeroed` is true.
    public init(count: Int, zeroed: Bool = true) {
        _ = TensorStorage.allocatorTuned
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { pointer.initialize(repeating: 0, count: count) }
    }

    deinit { pointer.deallocate() }

    /// Keeps freed tensor buffers in the malloc heap instead of returning them to the kernel: without this, every
    /// large activation is a fresh mmap whose pages fault in (zeroed by the kernel) on first touch, costing about as
    /// much system time as the convolutions take. Buffers are reused across ops and steps instead.
    static let allocatorTuned: Bool = {
        ssk_tune_allocator()
        return true
    }()

    /// The buffer as an unsafe mutable buffer pointer.
    @inline(__always) public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
