import Engine
import TestSupport
import Testing

@Suite("Core ops")
struct CoreOpsTests {
    func rand(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.uniform(shape, -1, 1, rng: &rng)
    }

    @Test func rngIsDeterministic() {
        var a = RNG(seed: 42), b = RNG(seed: 42), c = RNG(seed: 43)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }, xc = (0..<5).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
        var n = RNG(seed: 1)
        let s = (0..<20000).map { _ in Double(n.normal()) }
        let mean = s.reduce(0, +) / Double(s.count)
        let variance = s.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(s.count)
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
    }

    @Test func broadcastingForward() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([10, 20, 30], shape: [3])
        #expect((a + b).scalars == [11, 22, 33, 14, 25, 36])
        let c = Tensor([1, 2], shape: [2, 1])
        #expect((a * c).scalars == [1, 2, 3, 8, 10, 12])
        #expect((a - 1).scalars == [0, 1, 2, 3, 4, 5])
        let d = Tensor([1, 2], shape: [2, 1, 1]) * Tensor([1, 10, 100], shape: [1, 3, 1])
        #expect(d.shape == [2, 3, 1] && d.scalars == [1, 10, 100, 2, 20, 200])
    }

    @Test func elementwiseGradients() {
        checkGradients([rand([2, 3, 4]), rand([3, 1], seed: 2)]) { x in x[0] + x[1] }
        checkGradients([rand([2, 3, 4]), rand([3, 1], seed: 2)]) { x in x[0] - x[1] }
        checkGradients([rand([2, 3, 4]), rand([1, 3, 4], seed: 2)]) { x in x[0] * x[1] }
        checkGradients([rand([2, 3]), rand([3], seed: 2) + 3]) { x in x[0] / x[1] }
        checkGradients([rand([5]) + 2]) { x in x[0].log() }
        checkGradients([rand([5])]) { x in x[0].exp() }
        checkGradients([rand([5]) + 2]) { x in x[0].sqrt() }
        checkGradients([rand([5]) + 2]) { x in x[0].pow(3) }
        checkGradients([rand([7])]) { x in x[0].sigmoid() }
        checkGradients([rand([7])]) { x in x[0].tanh() }
        checkGradients([rand([7])]) { x in x[0].leakyRelu(0.1) }
    }

    @Test func reductionsForwardAndGradients() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(a.sum().item == 21)
        #expect(a.sum(axes: [0]).scalars == [5, 7, 9])
        #expect(a.sum(axes: [1], keepDims: true).shape == [2, 1])
        #expect(a.mean(axes: [1]).scalars == [2, 5])
        #expect(a.max(axes: [1]).scalars == [3, 6])
        #expect(a.argmax(axis: 1).scalars == [2, 2])
        checkGradients([rand([2, 3, 4])]) { x in x[0].sum(axes: [1]) }
        checkGradients([rand([2, 3, 4])]) { x in x[0].mean(axes: [0, 2], keepDims: true) }
        checkGradients([rand([2, 3, 4])]) { x in x[0].max(axes: [2]) }
    }

    @Test func shapeOps() {
        let a = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let p = a.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        #expect(p[1, 1, 2] == a[1, 2, 1])
        let s = a.sliced([0..<2, 1..<3, 2..<4])
        #expect(s.scalars == [6, 7, 10, 11, 18, 19, 22, 23])
        let c = Tensor.concat([a, a.sliced([0..<2, 0..<1])], axis: 1)
        #expect(c.shape == [2, 4, 4] && c[1, 3, 2] == a[1, 0, 2])
        let pd = Tensor([1, 2], shape: [1, 2]).padded([(1, 0), (0, 2)], value: 9)
        #expect(pd.shape == [2, 4] && pd.scalars == [9, 9, 9, 9, 1, 2, 9, 9])
        checkGradients([rand([2, 3, 4])]) { x in x[0].permuted([1, 2, 0]) }
        checkGradients([rand([2, 3, 4])]) { x in x[0].sliced([0..<1, 1..<3]) }
        checkGradients([rand([2, 3, 4]), rand([2, 2, 4], seed: 3)]) { x in Tensor.concat([x[0], x[1]], axis: 1) }
        checkGradients([rand([2, 3])]) { x in x[0].padded([(1, 2), (0, 1)]) }
        checkGradients([rand([2, 3, 4])]) { x in x[0].reshaped([6, -1]) }
    }

    @Test func matmulMatchesNaive() {
        let a = rand([3, 5]), b = rand([5, 4], seed: 9)
        let c = a.matmul(b)
        var naive = [Float](repeating: 0, count: 12)
        for i in 0..<3 { for j in 0..<4 { for k in 0..<5 { naive[i * 4 + j] += a[i, k] * b[k, j] } } }
        expectClose(c.scalars, naive)
        checkGradients([rand([3, 5]), rand([5, 4], seed: 9)]) { x in x[0].matmul(x[1]) }
    }

    @Test func softmaxFamily() {
        let x = Tensor([1, 2, 3, 1, 1, 1], shape: [2, 3])
        let s = x.softmax(axis: 1)
        expectClose(s.sum(axes: [1]).scalars, [1, 1])
        expectClose(x.logSoftmax(axis: 1).exp(), s)
        // Stable for large logits.
        #expect(Tensor([1000, 0], shape: [1, 2]).logSoftmax(axis: 1).isFinite)
        checkGradients([rand([2, 3, 4])]) { x in x[0].softmax(axis: 1) }
        checkGradients([rand([2, 3, 4])]) { x in x[0].logSoftmax(axis: 1) }
    }

    @Test func gradientAccumulatesOverReuse() {
        let x = Tensor([2], shape: [1]).requiringGrad()
        let y = x * x + x  // dy/dx = 2x + 1 = 5
        y.sum().backward()
        #expect(x.grad?.scalars == [5])
    }

    @Test func shapeMismatchTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor(zeros: [2, 3]) + Tensor(zeros: [4])
        }
    }
}
