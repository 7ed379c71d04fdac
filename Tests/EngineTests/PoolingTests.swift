import Engine
import TestSupport
import Testing

// PyTorch constants: Tests/EngineTests/Fixtures/spatial_reference.json, written by
// scripts/reference/engine_spatial_reference.py (F.max_pool2d / 3d, F.avg_pool2d / 3d).

@Suite("Pooling")
struct PoolingTests {
    func rand(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.uniform(shape, -1, 1, rng: &rng)
    }

    /// Distinct values 0.05 apart in shuffled order, so finite differences (eps 0.01) never cross a tie.
    func distinct(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        var v = (0..<Shape.count(shape)).map { Float($0) * 0.05 - 1 }
        v.shuffle(using: &rng)
        return Tensor(v, shape: shape)
    }

    @Test(arguments: SpatialReference.names(op: "max_pool"))
    func maxPoolMatchesPyTorch(_ name: String) throws {
        let c = try #require(SpatialReference.named(name))
        SpatialReference.check(c) { t in
            t["x"].maxPool(kernel: c.params.kernel ?? [], stride: c.params.stride, padding: c.params.padding)
        }
    }

    @Test(arguments: SpatialReference.names(op: "avg_pool"))
    func avgPoolMatchesPyTorch(_ name: String) throws {
        let c = try #require(SpatialReference.named(name))
        SpatialReference.check(c) { t in
            t["x"].avgPool(kernel: c.params.kernel ?? [], stride: c.params.stride, padding: c.params.padding)
        }
    }

    @Test func forwardValuesAndDefaultStride() {
        let x = Tensor((0..<16).map(Float.init), shape: [1, 1, 4, 4])
        #expect(x.maxPool(kernel: [2, 2]).scalars == [5, 7, 13, 15])
        #expect(x.avgPool(kernel: [2, 2]).scalars == [2.5, 4.5, 10.5, 12.5])
        // count_include_pad: the corner window holds 0 (padding) + x[0,0] ... divided by 9.
        let a = Tensor(repeating: 1, shape: [1, 1, 3, 3]).avgPool(kernel: [3, 3], stride: [1, 1], padding: [1, 1])
        expectClose(a.scalars, [4, 6, 4, 6, 9, 6, 4, 6, 4].map { $0 / 9 })
    }

    @Test func maxPoolTiesSendGradientToFirstMax() {
        let x = Tensor(repeating: 2, shape: [1, 1, 2, 2]).requiringGrad()
        x.maxPool(kernel: [2, 2]).sum().backward()
        #expect(x.grad?.scalars == [1, 0, 0, 0])
    }

    @Test func gradients2DAnd3D() {
        checkGradients([distinct([2, 2, 5, 6], seed: 1)]) { x in x[0].maxPool(kernel: [2, 2]) }
        checkGradients([distinct([1, 2, 5, 5], seed: 2)]) { x in x[0].maxPool(kernel: [3, 3], stride: [2, 2], padding: [1, 1]) }
        checkGradients([distinct([1, 2, 4, 4, 5], seed: 3)]) { x in x[0].maxPool(kernel: [2, 2, 2], stride: [2, 1, 2]) }
        checkGradients([rand([2, 2, 5, 6], seed: 4)]) { x in x[0].avgPool(kernel: [3, 2], stride: [2, 2], padding: [1, 1]) }
        checkGradients([rand([1, 2, 4, 5, 4], seed: 5)]) { x in x[0].avgPool(kernel: [2, 2, 2], padding: [1, 0, 1]) }
    }

    @Test func kernelLargerThanInputTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor(zeros: [1, 1, 2, 2]).maxPool(kernel: [3, 3])
        }
    }
}
