import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT / SIGTERM handling for commands that train (`train`, `compare`).
///
/// After `install()`, a signal that arrives while a training loop runs (`Trainer.train`) asks the loop to save a
/// checkpoint at the next optimizer-step boundary (mid-epoch included: iteration, running sums and the strategy's
/// epoch values are in it) and stop with `TrainingInterrupted`; the CLI then exits with 128 + signal (130 for SIGINT,
/// 143 for SIGTERM) and one line naming the checkpoint. A second signal, or a signal outside a training loop, ends
/// the process at once with the same status: every file is written atomically, so nothing is left half-written.
///
/// The handlers run on a dispatch queue (`DispatchSource`), not in signal context.
public enum Interrupt {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pendingSignal: Int32?
    nonisolated(unsafe) private static var trainingDepth = 0
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    private static let queue = DispatchQueue(label: "semiseg.interrupt")

    /// Installs the SIGINT and SIGTERM handlers (idempotent).
    public static func install() {
        lock.lock(); defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            s.setEventHandler { received(sig) }
            s.resume()
            sources.append(s)
        }
    }

    /// `SIGINT`, `SIGTERM` or `signal N`.
    public static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(sig)"
        }
    }

    static func received(_ sig: Int32) {
        lock.lock()
        let deferred = trainingDepth > 0 && pendingSignal == nil
        if deferred { pendingSignal = sig }
        lock.unlock()
        if deferred {
            fputs("\(name(sig)) received: saving a checkpoint at the next step boundary (send it again to stop at once)\n", stderr)
            return
        }
        fflush(nil)
        fputs("interrupted by \(name(sig))\n", stderr)
        _exit(128 + sig)
    }

    /// Simulated signals by thread (tests run trainers in parallel in one process; each sees only its own).
    nonisolated(unsafe) private static var simulated: [pthread_t: Int32] = [:]

    /// The signal waiting to be handled by the training loop (on this thread), if any.
    static var pending: Int32? {
        lock.lock(); defer { lock.unlock() }
        return pendingSignal ?? simulated[pthread_self()]
    }

    /// Marks the pending signal handled (the loop saved its checkpoint and is stopping).
    static func clear() {
        lock.lock(); defer { lock.unlock() }
        pendingSignal = nil
        simulated[pthread_self()] = nil
    }

    /// Test hook: behaves, for a training loop on the calling thread, as if `sig` had arrived.
    static func simulate(_ sig: Int32) {
        lock.lock(); defer { lock.unlock() }
        simulated[pthread_self()] = sig
    }

    /// Runs a training loop during which signals are deferred to step boundaries.
    static func deferringSignals<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); trainingDepth += 1; lock.unlock()
        defer { lock.lock(); trainingDepth -= 1; lock.unlock() }
        return try body()
    }
}

/// A run stopped by SIGINT/SIGTERM after saving its checkpoint; `--resume` (or re-running `compare`) continues exactly.
public struct TrainingInterrupted: Error, CustomStringConvertible {
    /// The signal number.
    public let signal: Int32
    /// The checkpoint written (or, at an epoch boundary, the one just written before the signal was seen).
    public let checkpoint: URL
    /// Epoch (1-based) and step within it (0 = at the epoch's end) where the run stands.
    public let epoch: Int
    public let iteration: Int
    public let iterationsPerEpoch: Int

    /// The process exit status for this signal: 128 + signal (130 SIGINT, 143 SIGTERM).
    public var exitStatus: Int32 { 128 + signal }

    public var description: String {
        let at = iteration == 0 ? "after epoch \(epoch - 1)" : "in epoch \(epoch) after step \(iteration)/\(iterationsPerEpoch)"
        return "interrupted by \(Interrupt.name(signal)): checkpoint saved \(at) (\(checkpoint.path))"
    }
}
