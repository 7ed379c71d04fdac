#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opt-in timing of op families and convolution kernels (for `semiseg bench --layers`).
///
/// Off by default: every hook is one branch on `isEnabled`. When on, forward ops are timed as the wall time
/// since the previous op finished on the calling thread (`lap`), backward rules exactly, and convolution
/// kernels per shape with their FLOP count.
public enum Profiler {
    /// One timed bucket.
    public struct Entry: Sendable {
        /// Op family (`conv`, `batch_norm`, ...) or convolution kernel (`conv.forward`, `conv.backward_data`, ...).
        public var name: String
        /// Shape key (convolutions only), e.g. `8->16 3x3x3 @32x64x64 n1`.
        public var key: String
        /// Wall-clock seconds accumulated.
        public var seconds: Double
        /// CPU seconds of the whole process accumulated (all threads; `measure` only): divided by `seconds` it tells
        /// how busy the cores were, and FLOPs per CPU second barely move when other processes load the machine.
        public var cpuSeconds: Double
        /// Floating-point operations accumulated (multiply and add counted separately).
        public var flops: Double
        /// Calls accumulated.
        public var calls: Int
    }

    /// Whether ops record timings (set by the benchmark only).
    nonisolated(unsafe) public static var isEnabled = false
    nonisolated(unsafe) static var entries: [String: Entry] = [:]
    nonisolated(unsafe) static var order: [String] = []
    nonisolated(unsafe) static var last: UInt64 = 0
    nonisolated(unsafe) static var lastCPU: UInt64 = 0
    nonisolated(unsafe) static var inBackward = false
    nonisolated(unsafe) static var lock = pthread_mutex_t()
    nonisolated(unsafe) static var lockReady = false

    /// Monotonic nanoseconds.
    @inline(__always) static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Clears all entries and restarts the lap clock.
    public static func reset() {
        if !lockReady { pthread_mutex_init(&lock, nil); lockReady = true }
        entries = [:]; order = []
        last = now(); lastCPU = cpuNow()
    }

    /// Restarts the lap clock (call before a forward pass so the first op is not charged for earlier work).
    public static func restartLap() { last = now(); lastCPU = cpuNow() }

    /// Process CPU time in nanoseconds (all threads).
    @inline(__always) static func cpuNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Adds `seconds` (and `cpuSeconds`, `flops`) to the bucket `name`/`key`.
    public static func add(_ name: String, key: String = "", seconds: Double, cpuSeconds: Double = 0, flops: Double = 0) {
        pthread_mutex_lock(&lock)
        let id = name + "|" + key
        if entries[id] == nil { entries[id] = Entry(name: name, key: key, seconds: 0, cpuSeconds: 0, flops: 0, calls: 0); order.append(id) }
        entries[id]?.seconds += seconds
        entries[id]?.cpuSeconds += cpuSeconds
        entries[id]?.flops += flops
        entries[id]?.calls += 1
        pthread_mutex_unlock(&lock)
    }

    /// Charges the wall and process CPU time since the previous lap to the forward family `name`.
    @inline(__always) static func lap(_ name: String) {
        guard isEnabled else { return }
        let t = now(), c = cpuNow()
        add(name, seconds: Double(t &- last) / 1e9, cpuSeconds: Double(c &- lastCPU) / 1e9)
        last = t; lastCPU = c
    }

    /// Times `body` into `name`/`key` when enabled.
    @inline(__always) static func measure<R>(_ name: String, key: @autoclosure () -> String = "", flops: Double = 0, _ body: () -> R) -> R {
        guard isEnabled else { return body() }
        let t = now(), c = cpuNow()
        let r = body()
        add(name, key: key(), seconds: Double(now() &- t) / 1e9, cpuSeconds: Double(cpuNow() &- c) / 1e9, flops: flops)
        return r
    }

    /// The buckets in first-seen order.
    public static var report: [Entry] { order.compactMap { entries[$0] } }
}
