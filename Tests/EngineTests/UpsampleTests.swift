import Engine
import TestSupport
import Testing

// PyTorch constants: Tests/EngineTests/Fixtures/spatial_reference.json, written by
// scripts/reference/engine_spatial_reference.py (F.interpolate nearest, bilinear / trilinear align_corners=False).

@Suite("Upsample")
struct UpsampleTests {
    func rand(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.uniform(shape, -1, 1, rng: &rng)
    }

    @Test(arguments: SpatialReference.names(op: "upsample"))
    func matchesPyTorch(_ name: String) throws {
        let c = try #require(SpatialReference.named(name))
        let mode: UpsampleMode = c.params.mode == "nearest" ? .nearest : .linear
        SpatialReference.check(c) { t in t["x"].upsample(scale: c.params.scale ?? [], mode: mode) }
    }

    @Test func nearestAndLinearValues() {
        let x = Tensor([1, 2], shape: [1, 1, 1, 2])
        #expect(x.upsample(scale: [1, 2], mode: .nearest).scalars == [1, 1, 2, 2])
        expectClose(x.upsample(scale: [1, 2], mode: .linear).scalars, [1, 1.25, 1.75, 2])
        #expect(x.upsample(scale: [2, 2], mode: .nearest).shape == [1, 1, 2, 4])
    }

    @Test func gradients2DAnd3D() {
        checkGradients([rand([2, 2, 3, 4], seed: 1)]) { x in x[0].upsample(scale: [2, 3], mode: .nearest) }
        checkGradients([rand([1, 2, 3, 3], seed: 2)]) { x in x[0].upsample(scale: [2, 2], mode: .linear) }
        checkGradients([rand([1, 1, 2, 3, 2], seed: 3)]) { x in x[0].upsample(scale: [2, 1, 2], mode: .nearest) }
        checkGradients([rand([1, 2, 2, 3, 2], seed: 4)]) { x in x[0].upsample(scale: [2, 2, 3], mode: .linear) }
    }
}
