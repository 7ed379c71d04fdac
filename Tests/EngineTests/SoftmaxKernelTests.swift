import Engine
import Foundation
import TestSupport
import Testing

/// softmax / logSoftmax on the SIMD class-axis kernel (inner extent >= 16) against a double-precision reference, the
/// scalar path (inner < 16) and finite differences.
@Suite("Softmax over the class axis (SIMD)")
struct SoftmaxKernelTests {
    /// Double-precision (log-)softmax along axis 1 of [N, K, S].
    static func reference(_ x: Tensor, log: Bool) -> [Float] {
        let n = x.shape[0], k = x.shape[1], s = x.count / (n * k), v = x.scalars
        var out = [Float](repeating: 0, count: v.count)
        for b in 0..<n {
            for j in 0..<s {
                let idx = (0..<k).map { (b * k + $0) * s + j }
                let m = idx.map { Double(v[$0]) }.max() ?? 0
                let sum = idx.reduce(0.0) { $0 + Foundation.exp(Double(v[$1]) - m) }
                for i in idx { out[i] = Float(log ? Double(v[i]) - m - Foundation.log(sum) : Foundation.exp(Double(v[i]) - m) / sum) }
            }
        }
        return out
    }

    @Test(arguments: [[2, 3, 16], [2, 4, 5, 7], [1, 2, 8, 40, 40], [3, 7, 33]])
    func matchesDoubleReference(_ shape: [Int]) {
        let x = SoftmaxCrossEntropyTests.logits(shape, seed: 30, spread: 8)
        expectClose(x.softmax(axis: 1).scalars, Self.reference(x, log: false), atol: 1e-7, rtol: 1e-6, "\(shape) softmax")
        expectClose(x.logSoftmax(axis: 1).scalars, Self.reference(x, log: true), atol: 1e-6, rtol: 1e-6, "\(shape) log-softmax")
    }

    @Test func finiteDifferences() {
        let x = SoftmaxCrossEntropyTests.logits([2, 3, 20], seed: 31, spread: 2)
        checkGradients([x], eps: 1e-2, atol: 1e-4, rtol: 1e-2, "softmax") { $0[0].softmax(axis: 1) }
        let y = SoftmaxCrossEntropyTests.logits([2, 3, 20], seed: 32, spread: 2)
        checkGradients([y], eps: 1e-2, atol: 1e-4, rtol: 1e-2, "log-softmax") { $0[0].logSoftmax(axis: 1) }
    }

    @Test func gradientsMatchTheScalarPath() {
        // [N, K, 16] runs the SIMD kernel; transposed to [N, 16, K] with the class axis last (inner 1), the scalar one.
        let x = SoftmaxCrossEntropyTests.logits([2, 3, 16], seed: 33)
        var rng = RNG(seed: 34)
        let g = Tensor.uniform([2, 3, 16], -1, 1, rng: &rng)
        for log in [false, true] {
            let a = x.copy().requiringGrad()
            (((log ? a.logSoftmax(axis: 1) : a.softmax(axis: 1))) * g).sum().backward()
            let t = Self.transposed(x).requiringGrad()
            (((log ? t.logSoftmax(axis: 2) : t.softmax(axis: 2))) * Self.transposed(g)).sum().backward()
            expectClose(a.grad?.scalars ?? [], Self.transposed(t.grad ?? t).scalars, atol: 1e-6, rtol: 1e-5, "log \(log)")
        }
    }

    /// [A, B, C] -> [A, C, B].
    static func transposed(_ x: Tensor) -> Tensor {
        let a = x.shape[0], b = x.shape[1], c = x.shape[2], v = x.scalars
        var out = [Float](repeating: 0, count: v.count)
        for i in 0..<a { for j in 0..<b { for k in 0..<c { out[(i * c + k) * b + j] = v[(i * b + j) * c + k] } } }
        return Tensor(out, shape: [a, c, b])
    }
}
