import Engine
import Testing

/// Largest |a-b| / (atol + rtol*|b|) over the elements; <= 1 means close.
public func closeness(_ a: [Float], _ b: [Float], atol: Float, rtol: Float) -> Float {
    precondition(a.count == b.count, "closeness: \(a.count) vs \(b.count) elements")
    var worst: Float = 0
    for (x, y) in zip(a, b) {
        if x.isNaN || y.isNaN { return .infinity }
        worst = max(worst, abs(x - y) / (atol + rtol * abs(y)))
    }
    return worst
}

/// Expects two tensors (or arrays) to agree elementwise within `atol + rtol*|expected|`.
public func expectClose(_ actual: Tensor, _ expected: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4,
                        _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, comment, sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let c = closeness(actual.scalars, expected.scalars, atol: atol, rtol: rtol)
    #expect(c <= 1, "worst closeness \(c) \(comment.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
}

/// Array form of `expectClose`.
public func expectClose(_ actual: [Float], _ expected: [Float], atol: Float = 1e-5, rtol: Float = 1e-4,
                        _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, comment, sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    let c = closeness(actual, expected, atol: atol, rtol: rtol)
    #expect(c <= 1, "worst closeness \(c) \(comment.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
}

/// Central finite-difference check of every input gradient of `f`.
///
/// The scalar objective is sum(f(inputs) * R) for a fixed random R, so every output element matters.
/// Inputs are perturbed by `eps` in Float32; tolerances suit that (1e-2 relative by default).
public func checkGradients(_ inputs: [Tensor], eps: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 2e-2, seed: UInt64 = 7,
                           _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                           _ f: ([Tensor]) -> Tensor) {
    for t in inputs { t.requiringGrad(); t.zeroGrad() }
    var rng = RNG(seed: seed)
    let probe = f(inputs)
    let r = Tensor.uniform(probe.shape, -1, 1, rng: &rng)
    func objective(_ xs: [Tensor]) -> Double {
        withNoGrad {
            let y = f(xs)
            var s: Double = 0
            for (a, b) in zip(y.scalars, r.scalars) { s += Double(a) * Double(b) }
            return s
        }
    }
    (probe * r).sum().backward()
    for (k, t) in inputs.enumerated() {
        guard let analytic = t.grad?.scalars else {
            Issue.record("input \(k) got no gradient \(comment.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
            continue
        }
        var numeric = [Float](repeating: 0, count: t.count)
        for i in 0..<t.count {
            let old = t.withData { $0[i] }
            t.withMutableData { $0[i] = old + eps }
            let fp = objective(inputs)
            t.withMutableData { $0[i] = old - eps }
            let fm = objective(inputs)
            t.withMutableData { $0[i] = old }
            numeric[i] = Float((fp - fm) / Double(2 * eps))
        }
        let c = closeness(analytic, numeric, atol: atol, rtol: rtol)
        #expect(c <= 1, "gradient of input \(k) (shape \(t.shape)) off by closeness \(c) \(comment.map { "\($0)" } ?? "")",
                sourceLocation: sourceLocation)
    }
}
