#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels

/// Transformed Winograd weights (`ssk_wino_filter`'s `[36][KD * Cin][Cout]`, and the Toom-Cook transforms of the
/// 5- and 7-wide path, `ConvKernels.winogradNDForward`) of recent inference convolutions, reused while the weights are
/// unchanged (docs/ARCHITECTURE.md, Engine): MC-dropout passes, sliding windows and every `predict` call run the same
/// weights many times.
///
/// An entry is keyed by the weight buffer's address and shape and holds a copy of the weights it was made from; a
/// lookup compares that copy with the current weights bit for bit, so any update (an optimizer step, a loaded
/// checkpoint, an EMA teacher, a recycled buffer holding other weights) misses and re-transforms. The comparison reads
/// twice the weights; the transform it replaces reads them once and writes four times as much (36 / 9 floats per tap).
enum WinogradFilterCache {
    /// One transformed filter; immutable once made, freed when the last user drops it.
    final class Entry: @unchecked Sendable {
        let weights: UnsafeMutablePointer<Float>, weightCount: Int
        let u: UnsafeMutablePointer<Float>, uCount: Int
        var lastUse = 0

        init(weightCount: Int, uCount: Int) {
            self.weightCount = weightCount
            self.uCount = uCount
            weights = .allocate(capacity: weightCount)
            u = .allocate(capacity: uCount)
        }

        deinit { weights.deallocate(); u.deallocate() }

        var bytes: Int { (weightCount + uCount) * MemoryLayout<Float>.stride }
    }

    /// `variant` tells transforms of the same weights apart (empty for F(4x4, 3x3); the kernel and tile sizes of the
    /// Toom-Cook path).
    struct Key: Hashable {
        let address: UInt, cin: Int, cout: Int, kd: Int
        var variant: [Int] = []
    }

    /// Bytes of cached entries kept at most (unet2d-s16 needs about 43 MB, unet3d-s8 about 33 MB).
    nonisolated(unsafe) static var capacityBytes = 256 << 20
    nonisolated(unsafe) static var entries: [Key: Entry] = [:]
    nonisolated(unsafe) static var bytes = 0
    nonisolated(unsafe) static var clock = 0
    /// Transforms done (misses) since start; tests read it.
    nonisolated(unsafe) static var transforms = 0
    nonisolated(unsafe) static var lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    /// The transformed filter of `w` `[cout, cin, kd, 3, 3]`: the cached one when its weights equal `w` bit for bit,
    /// else a fresh transform (which replaces the entry of that buffer).
    static func transformed(_ w: UnsafePointer<Float>, cin: Int, cout: Int, kd: Int) -> Entry {
        transformed(w, key: Key(address: UInt(bitPattern: w), cin: cin, cout: cout, kd: kd), weightCount: cout * cin * kd * 9,
                    uCount: 36 * kd * cin * cout) { u in ssk_wino_filter(w, u, Int32(cin), Int32(cout), Int32(kd)) }
    }

    /// The transform `transform` writes into `uCount` floats for the `weightCount` weights at `w`: the cached one when
    /// the weights it was made from equal `w` bit for bit, else a fresh transform (which replaces the entry of `key`).
    static func transformed(_ w: UnsafePointer<Float>, key: Key, weightCount: Int, uCount: Int,
                            transform: (UnsafeMutablePointer<Float>) -> Void) -> Entry {
        pthread_mutex_lock(lock)
        clock += 1
        let found = entries[key]
        found?.lastUse = clock
        pthread_mutex_unlock(lock)
        if let found, memcmp(found.weights, w, weightCount * MemoryLayout<Float>.stride) == 0 { return found }
        let e = Entry(weightCount: weightCount, uCount: uCount)
        e.weights.update(from: w, count: weightCount)
        transform(e.u)
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        transforms += 1
        clock += 1
        e.lastUse = clock
        if let old = entries.updateValue(e, forKey: key) { bytes -= old.bytes }
        bytes += e.bytes
        // Drop the least recently used entries beyond the budget (never the new one).
        while bytes > capacityBytes, let (k, victim) = entries.filter({ $0.key != key }).min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[k] = nil
            bytes -= victim.bytes
        }
        return e
    }

    /// Drops every entry (tests).
    static func clear() {
        pthread_mutex_lock(lock)
        entries = [:]
        bytes = 0
        pthread_mutex_unlock(lock)
    }
}
