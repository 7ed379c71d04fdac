
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Contiguous, 64-byte aligned Float32 buffer owned by one or more `Tensor`s.
///
/// Unsafe pointers stay inside Engine; everything above sees `Tensor`. Large buffers come from and return to
/// `BufferPool`, so a training step reuses the previous step's pages instead of faulting in fresh ones.
public final class TensorStorage: @unchecked Sendable {
    /// Number of Float32 elements.
    public let count: Int
    /// Start of the buffer (aligned to 64 bytes for AVX-512 loads).
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` elements, zero-filled when `zeroed` is true.
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        pointer = BufferPool.take(max(count, 1))
        if zeroed { BufferPool.zeroFill(pointer, count) }
    }

    deinit { BufferPool.give(pointer, max(count, 1)) }

    /// The buffer as an unsafe mutable buffer pointer.
    @inline(__always) public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}

/// Recycles large tensor buffers by exact size (activations and gradients repeat their sizes every step).
///
/// Without it every large activation is a fresh mmap whose pages fault in (zeroed by the kernel) on first touch,
/// which cost about a third of a benchmark step in system time. At most `capacityBytes` are kept idle.
enum BufferPool {
    /// p[0 ..< count] = 0, split over the workers from 256 K floats on (a serial fill of a 32 MB gradient kept one core
    /// idle for milliseconds). Pooled buffers come back dirty; tensors and Winograd scratch that need zeros call this.
    static func zeroFill(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        Parallel.forEachChunk(count, minPerChunk: 1 << 18) { r in (p + r.lowerBound).initialize(repeating: 0, count: r.count) }
    }

    /// Buffers smaller than this many floats go straight to malloc.
    static let minCount = 1 << 16
    /// False when the environment sets `SEMISEG_BUFFER_POOL=0`: every buffer is then a real allocation and free,
    /// so AddressSanitizer sees a use after free that a recycled buffer would hide (`scripts/sanitize.sh address`).
    static let isEnabled: Bool = {
        guard let value = getenv("SEMISEG_BUFFER_POOL") else { return true }
        return String(cString: value) != "0"
    }()
    /// Idle bytes kept at most. Large enough to hold every activation a benchmark U-Net step frees in its backward
    /// pass (about 1.1 GB for unet2d-s16): with 512 MB, about 0.2 CPU s of each unet2d-s16 step went to faulting
    /// in (zeroing) fresh pages. Idle buffers are reused by the next step's forward pass, so the peak RSS stays the
    /// live peak (measured unchanged, 1154 MB).
    nonisolated(unsafe) static var capacityBytes = 2048 << 20
    nonisolated(unsafe) static var idle: [Int: [UnsafeMutablePointer<Float>]] = [:]
    nonisolated(unsafe) static var idleBytes = 0
    nonisolated(unsafe) static var lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    /// A buffer of exactly `count` floats (contents undefined).
    static func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count < minCount || !isEnabled { return allocate(count) }
        let l = lock
        pthread_mutex_lock(l)
        if var list = idle[count], let p = list.popLast() {
            idle[count] = list.isEmpty ? nil : list
            idleBytes -= count * 4
            pthread_mutex_unlock(l)
            return p
        }
        pthread_mutex_unlock(l)
        return allocate(count)
    }

    /// Returns a buffer from `take`.
    static func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= minCount && isEnabled {
            let l = lock
            pthread_mutex_lock(l)
            if idleBytes + count * 4 <= capacityBytes {
                idle[count, default: []].append(p)
                idleBytes += count * 4
                pthread_mutex_unlock(l)
                return
            }
            pthread_mutex_unlock(l)
        }
        p.deallocate()
    }
}
