#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reverse-mode automatic differentiation: a tape of `GradFn` nodes built as ops run.

/// One recorded op: its inputs and the rule mapping the output gradient to input gradients.
final class GradFn {
    /// Op name, for error messages and debugging.
    let name: String
    /// Inputs in the order the backward rule returns their gradients.
    var inputs: [Tensor]
    /// Output gradient -> one gradient per input (nil where an input needs none). Released after use.
    var backward: ((Tensor) -> [Tensor?])?

    init(name: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

/// Switch for recording the tape (off inside `withNoGrad`), kept per thread.
///
/// Per thread, so that concurrent callers (swift-testing runs tests in parallel; a finite-difference check
/// evaluates under `withNoGrad` while another test records) never switch each other's recording off.
/// Kernels running on worker threads never read it.
public enum GradMode {
    /// Whether ops on the calling thread currently record history (default true).
    public static var isEnabled: Bool {
        get { pthread_getspecific(disabledKey) == nil }
        set { pthread_setspecific(disabledKey, newValue ? nil : UnsafeRawPointer(bitPattern: 1)) }
    }

    /// Thread-specific slot: nil means recording, non-nil means disabled.
    private static let disabledKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key, nil)
        precondition(status == 0, "GradMode: pthread_key_create failed with status \(status)")
        return key
    }()
}

/// Runs `body` without recording history (inference, optimizer updates, metric computation).
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = GradMode.isEnabled
    GradMode.isEnabled = false
    defer { GradMode.isEnabled = previous }
    return try body()
}

extension Tensor {
    /// Attaches a tape node to `output` when recording and any input requires gradients; returns `output`.
    ///
    /// Every differentiable op ends with this call; `backward` receives dL/d(output) and returns dL/d(input_i).
    @inline(__always)
    static func record(_ name: String, _ output: Tensor, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        if Profiler.isEnabled && !Profiler.inBackward { Profiler.lap(name) }
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return output }
        output.requiresGrad = true
        output.gradFn = GradFn(name: name, inputs: inputs, backward: backward)
        return output
    }

    /// Back-propagates from this tensor, accumulating `grad` on every leaf that requires it.
    ///
    /// `seed` defaults to ones (use it for a scalar loss). The tape is consumed: saved activations are freed
    /// as soon as their node has run, so memory falls during the backward pass.
    public func backward(_ seed: Tensor? = nil) {
        precondition(requiresGrad, "backward: tensor of shape \(shape) does not require grad (no parameter reached it)")
        let seedGrad = seed ?? Tensor(repeating: 1, shape: shape)
        precondition(seedGrad.shape == shape, "backward: seed shape \(seedGrad.shape) != tensor shape \(shape)")

        // Iterative topological sort (post-order DFS with an explicit stack).
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            let id = ObjectIdentifier(t)
            if visited.contains(id) { continue }
            visited.insert(id)
            stack.append((t, true))
            if let fn = t.gradFn {
                for input in fn.inputs where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                    stack.append((input, false))
                }
            }
        }

        // Profiler state is process-wide and unsynchronised: touch it only while profiling (the single-threaded
        // benchmark). Writing it on every backward pass raced between concurrent callers (parallel tests).
        let profiling = Profiler.isEnabled
        if profiling { Profiler.inBackward = true }
        defer { if profiling { Profiler.inBackward = false; Profiler.restartLap() } }
        withNoGrad {
            var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seedGrad]
            for t in order.reversed() {
                let id = ObjectIdentifier(t)
                guard let g = grads.removeValue(forKey: id) else { continue }
                guard let fn = t.gradFn else {
                    // Leaf: accumulate.
                    if let existing = t.grad { t.grad = existing.adding(g) } else { t.grad = g.sharesStorage(with: seedGrad) ? g.copy() : g }
                    continue
                }
                guard let rule = fn.backward else {
                    preconditionFailure("backward: the tape through '\(fn.name)' was already consumed; call backward once per forward pass")
                }
                let inputGrads = Profiler.measure("backward." + fn.name) { rule(g) }
                precondition(inputGrads.count == fn.inputs.count, "backward: '\(fn.name)' returned \(inputGrads.count) gradients for \(fn.inputs.count) inputs")
                for (input, ig) in zip(fn.inputs, inputGrads) {
                    guard input.requiresGrad, let ig else { continue }
                    precondition(ig.shape == input.shape, "backward: '\(fn.name)' produced gradient \(ig.shape) for input \(input.shape)")
                    let iid = ObjectIdentifier(input)
                    if let acc = grads[iid] { grads[iid] = Profiler.measure("backward.accumulate") { acc.adding(ig) } } else { grads[iid] = ig }
                }
                // Free saved activations now.
                fn.backward = nil
                fn.inputs = []
                t.gradFn = nil
            }
        }
    }

    /// Clears the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// Whether two tensors share one buffer.
    func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

    /// Elementwise sum of two same-shaped tensors without recording (gradient accumulation).
    func adding(_ other: Tensor) -> Tensor {
        precondition(shape == other.shape, "gradient accumulation: shapes \(shape) and \(other.shape) differ")
        let out = Tensor.empty(shape)
        let a = storage.pointer, b = other.storage.pointer, o = out.storage.pointer
        // Elementwise, so the chunking across threads changes no value.
        Parallel.forEachChunk(count, minPerChunk: elementwiseChunk) { r in for i in r { o[i] = a[i] + b[i] } }
        return out
    }
}
