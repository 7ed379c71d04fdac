import Engine
import TestSupport
import Testing

// PyTorch constants: Tests/EngineTests/Fixtures/zoo_ops_reference.json, written by
// scripts/reference/zoo_ops_reference.py (max_pool*d(return_indices=True), max_unpool*d, adaptive_avg_pool*d(1),
// F.interpolate(size=...) nearest / bilinear / trilinear with align_corners=False).

enum ZooOpsReference {
    static let cases = SpatialReference.load("zoo_ops_reference.json")
    static func names(op: String) -> [String] { cases.filter { $0.op == op }.map(\.name) }
    static func named(_ name: String) -> SpatialReference.Case? { cases.first { $0.name == name } }

    /// PyTorch's flat indices of a case as `PoolingIndices` for the pooled shape `pooled` and input plane `input`.
    static func indices(_ c: SpatialReference.Case, pooled: [Int], input: [Int]) -> PoolingIndices {
        PoolingIndices(batchChannels: Array(pooled[..<2]), inputSpatial: input, outputSpatial: Array(pooled[2...]),
                       flat: c.tensor("indices").scalars.map { Int32($0) })
    }
}

@Suite("Zoo engine ops")
struct ZooOpsTests {
    func rand(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.uniform(shape, -1, 1, rng: &rng)
    }

    @Test func fixtureLoads() {
        #expect(ZooOpsReference.cases.count >= 20, "Fixtures/zoo_ops_reference.json missing; rerun scripts/reference/zoo_ops_reference.py")
    }

    @Test(arguments: ZooOpsReference.names(op: "max_pool_indices"))
    func maxPoolIndicesMatchPyTorch(_ name: String) throws {
        let c = try #require(ZooOpsReference.named(name))
        var got: PoolingIndices?
        SpatialReference.check(c) { t in
            let (y, idx) = t["x"].maxPoolWithIndices(kernel: c.params.kernel ?? [], stride: c.params.stride, padding: c.params.padding)
            got = idx
            return y
        }
        let x = c.tensor("x")
        let ref = ZooOpsReference.indices(c, pooled: c.tensor("out").shape, input: Array(x.shape[2...]))
        #expect(got == ref, "\(name): indices differ from PyTorch")
    }

    @Test(arguments: ZooOpsReference.names(op: "max_unpool"))
    func maxUnpoolMatchesPyTorch(_ name: String) throws {
        let c = try #require(ZooOpsReference.named(name))
        let size = try #require(c.params.size)
        let idx = ZooOpsReference.indices(c, pooled: c.tensor("x").shape, input: size)
        SpatialReference.check(c) { t in t["x"].maxUnpool(indices: idx) }
    }

    @Test(arguments: ZooOpsReference.names(op: "global_avg_pool"))
    func globalAvgPoolMatchesPyTorch(_ name: String) throws {
        let c = try #require(ZooOpsReference.named(name))
        SpatialReference.check(c) { t in t["x"].globalAvgPool() }
    }

    @Test(arguments: ZooOpsReference.names(op: "resize"))
    func resizeMatchesPyTorch(_ name: String) throws {
        let c = try #require(ZooOpsReference.named(name))
        let mode: UpsampleMode = c.params.mode == "nearest" ? .nearest : .linear
        SpatialReference.check(c) { t in t["x"].resized(to: c.params.size ?? [], mode: mode) }
    }

    @Test func unpoolOfPoolRestoresTheMaximaInPlace() {
        let x = Tensor([1, 5, 2, 0, 3, 4, 9, 8], shape: [1, 1, 2, 4])
        let (y, idx) = x.maxPoolWithIndices(kernel: [2, 2])
        #expect(y.scalars == [5, 9])
        #expect(idx.flat == [1, 6])
        #expect(y.maxUnpool(indices: idx).scalars == [0, 5, 0, 0, 0, 0, 9, 0])
        #expect(y.maxUnpool(indices: idx, outputSize: [3, 4]).shape == [1, 1, 3, 4])
    }

    @Test func resizeToTheSameSizeIsTheIdentityAndUpsampleAgrees() {
        let x = rand([2, 3, 5, 4], seed: 3)
        expectClose(x.resized(to: [5, 4], mode: .linear), x)
        expectClose(x.resized(to: [5, 4], mode: .nearest), x)
        let y = rand([1, 2, 3, 4, 5], seed: 4)
        expectClose(y.resized(to: [6, 8, 10], mode: .linear), y.upsample(scale: [2, 2, 2], mode: .linear), atol: 1e-6)
        expectClose(y.resized(to: [6, 8, 10], mode: .nearest), y.upsample(scale: [2, 2, 2], mode: .nearest), atol: 0)
    }

    @Test func gradientsByFiniteDifferences() {
        checkGradients([rand([2, 2, 5, 6], seed: 1)]) { x in x[0].resized(to: [7, 4], mode: .linear) }
        checkGradients([rand([1, 2, 3, 2, 4], seed: 2)]) { x in x[0].resized(to: [4, 5, 3], mode: .linear) }
        checkGradients([rand([2, 3, 4, 3], seed: 5)]) { x in x[0].globalAvgPool() }
        let (_, idx) = rand([1, 2, 4, 4, 6], seed: 6).maxPoolWithIndices(kernel: [2, 2, 2])
        checkGradients([rand([1, 2, 2, 2, 3], seed: 7)]) { x in x[0].maxUnpool(indices: idx) }
    }
}
