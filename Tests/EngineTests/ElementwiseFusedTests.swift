import Engine
import TestSupport
import Testing

/// Fused elementwise chains against the composite ops, bit for bit (values and gradients), and finite differences.
@Suite("Fused elementwise chains")
struct ElementwiseFusedTests {
    static func rand(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.uniform(shape, -2, 2, rng: &rng)
    }

    /// Elements whose bits differ (zeros of either sign count as equal), or -1 when the counts differ.
    static func differing(_ a: Tensor?, _ b: Tensor?) -> Int {
        let x = a?.scalars ?? [], y = b?.scalars ?? []
        guard x.count == y.count, !x.isEmpty else { return -1 }
        return zip(x, y).filter { ($0 == 0 ? 0 : $0).bitPattern != ($1 == 0 ? 0 : $1).bitPattern }.count
    }

    @Test(arguments: [[2, 3, 5, 7], [4, 8, 64, 64], [1, 4, 3, 8, 8]])
    func addingReluIsBitForBitTheComposite(_ shape: [Int]) {
        let a1 = Self.rand(shape, seed: 1).requiringGrad(), b1 = Self.rand(shape, seed: 2).requiringGrad()
        let a2 = Self.rand(shape, seed: 1).requiringGrad(), b2 = Self.rand(shape, seed: 2).requiringGrad()
        let fused = a1.addingRelu(b1), composite = (a2 + b2).relu()
        #expect(Self.differing(fused, composite) == 0)
        let r = Self.rand(shape, seed: 3)
        (fused * r).sum().backward()
        (composite * r).sum().backward()
        #expect(Self.differing(a1.grad, a2.grad) == 0)
        #expect(Self.differing(b1.grad, b2.grad) == 0)
    }

    @Test(arguments: [[2, 3, 5, 7], [4, 16, 64, 64], [1, 4, 3, 8, 8], [3, 1, 10]])
    func scaledBySigmoidIsBitForBitTheComposite(_ shape: [Int]) {
        var gateShape = shape
        gateShape[1] = 1
        let x1 = Self.rand(shape, seed: 4).requiringGrad(), z1 = Self.rand(gateShape, seed: 5).requiringGrad()
        let x2 = Self.rand(shape, seed: 4).requiringGrad(), z2 = Self.rand(gateShape, seed: 5).requiringGrad()
        let fused = x1.scaledBySigmoid(z1), composite = x2 * z2.sigmoid()
        #expect(Self.differing(fused, composite) == 0)
        let r = Self.rand(shape, seed: 6)
        (fused * r).sum().backward()
        (composite * r).sum().backward()
        #expect(Self.differing(x1.grad, x2.grad) == 0)
        #expect(Self.differing(z1.grad, z2.grad) == 0)
    }

    @Test func finiteDifferences() {
        checkGradients([Self.rand([2, 3, 4], seed: 7), Self.rand([2, 3, 4], seed: 8)], eps: 1e-3, "addingRelu") { $0[0].addingRelu($0[1]) }
        checkGradients([Self.rand([2, 3, 4, 5], seed: 9), Self.rand([2, 1, 4, 5], seed: 10)], eps: 1e-2, "scaledBySigmoid") {
            $0[0].scaledBySigmoid($0[1])
        }
    }

    @Test func onlyTheInputsThatNeedIt() {
        let x = Self.rand([2, 3, 6], seed: 11), z = Self.rand([2, 1, 6], seed: 12).requiringGrad()
        x.scaledBySigmoid(z).sum().backward()
        #expect(x.grad == nil)
        #expect(z.grad != nil)
    }
}
