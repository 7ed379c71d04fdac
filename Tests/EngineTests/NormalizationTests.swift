import Engine
import TestSupport
import Testing

// PyTorch constants: Tests/EngineTests/Fixtures/spatial_reference.json, written by
// scripts/reference/engine_spatial_reference.py (F.batch_norm train / eval with running stats, F.instance_norm, F.group_norm).

@Suite("Normalization")
struct NormalizationTests {
    func rand(_ shape: [Int], seed: UInt64, scale: Float = 1, shift: Float = 0) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.uniform(shape, shift - scale, shift + scale, rng: &rng)
    }

    // MARK: - PyTorch reference

    @Test(arguments: SpatialReference.names(op: "batch_norm"))
    func batchNormMatchesPyTorch(_ name: String) throws {
        let c = try #require(SpatialReference.named(name))
        let rm = c.tensor("running_mean"), rv = c.tensor("running_var")
        SpatialReference.check(c) { t in
            t["x"].batchNorm(weight: t.optional("weight"), bias: t.optional("bias"), runningMean: rm, runningVar: rv,
                             training: c.params.training ?? true, momentum: c.params.momentum ?? 0.1, eps: c.params.eps ?? 1e-5)
        }
        expectClose(rm, c.tensor("running_mean_after"), atol: 1e-5, "running mean")
        expectClose(rv, c.tensor("running_var_after"), atol: 1e-5, "running var")
    }

    @Test(arguments: SpatialReference.names(op: "instance_norm"))
    func instanceNormMatchesPyTorch(_ name: String) throws {
        let c = try #require(SpatialReference.named(name))
        SpatialReference.check(c) { t in
            t["x"].instanceNorm(weight: t.optional("weight"), bias: t.optional("bias"), eps: c.params.eps ?? 1e-5)
        }
    }

    @Test(arguments: SpatialReference.names(op: "group_norm"))
    func groupNormMatchesPyTorch(_ name: String) throws {
        let c = try #require(SpatialReference.named(name))
        SpatialReference.check(c) { t in
            t["x"].groupNorm(groups: c.params.groups ?? 1, weight: t.optional("weight"), bias: t.optional("bias"), eps: c.params.eps ?? 1e-5)
        }
    }

    // MARK: - Fused batch norm + ReLU

    /// `batchNorm(fusedReLU: true)` gives the values and gradients of `batchNorm(...).relu()` (train and eval).
    @Test(arguments: [true, false])
    func batchNormReLUMatchesUnfused(_ training: Bool) {
        let x = rand([2, 3, 4, 5], seed: 11, scale: 2, shift: 0.3), w = rand([3], seed: 12), b = rand([3], seed: 13)
        let gy = rand([2, 3, 4, 5], seed: 14)
        func run(_ fused: Bool) -> [[Float]] {
            let xs = x.copy().requiringGrad(), ws = w.copy().requiringGrad(), bs = b.copy().requiringGrad()
            let rm = Tensor(repeating: 0.1, shape: [3]), rv = Tensor(repeating: 1.5, shape: [3])
            let y = fused
                ? xs.batchNorm(weight: ws, bias: bs, runningMean: rm, runningVar: rv, training: training, fusedReLU: true)
                : xs.batchNorm(weight: ws, bias: bs, runningMean: rm, runningVar: rv, training: training).relu()
            y.backward(gy)
            return [y.scalars, xs.grad?.scalars ?? [], ws.grad?.scalars ?? [], bs.grad?.scalars ?? [], rm.scalars, rv.scalars]
        }
        let fused = run(true), plain = run(false)
        for (a, e) in zip(fused, plain) { expectClose(a, e, atol: 1e-5, rtol: 1e-4) }
    }

    /// The fused backward recomputes the ReLU mask from the input (`x * a + b > 0`) instead of reading the output: the
    /// gradients equal the unfused `batchNorm(...).relu()` bit for bit in training, with planes long enough for the
    /// vector loop and its tail (35 values per plane), repeated values included.
    @Test func batchNormReLUBackwardBitIdenticalToUnfused() {
        var v = rand([2, 4, 5, 7], seed: 18, scale: 2, shift: 0.1).scalars
        for i in stride(from: 0, to: v.count, by: 9) { v[i] = 0.25 }
        let x = Tensor(v, shape: [2, 4, 5, 7]), w = rand([4], seed: 19), b = Tensor(zeros: [4]), gy = rand([2, 4, 5, 7], seed: 20)
        func run(_ fused: Bool) -> [[Float]] {
            let xs = x.copy().requiringGrad(), ws = w.copy().requiringGrad(), bs = b.copy().requiringGrad()
            let rm = Tensor(zeros: [4]), rv = Tensor(repeating: 1, shape: [4])
            let y = fused
                ? xs.batchNorm(weight: ws, bias: bs, runningMean: rm, runningVar: rv, training: true, fusedReLU: true)
                : xs.batchNorm(weight: ws, bias: bs, runningMean: rm, runningVar: rv, training: true).relu()
            y.backward(gy)
            return [y.scalars, xs.grad?.scalars ?? [], ws.grad?.scalars ?? [], bs.grad?.scalars ?? []]
        }
        let fused = run(true), plain = run(false)
        for (a, e) in zip(fused, plain) { #expect(a.map(\.bitPattern) == e.map(\.bitPattern)) }
    }

    @Test func batchNormReLUGradients() {
        let rm = Tensor(zeros: [3]), rv = Tensor(repeating: 1, shape: [3])
        checkGradients([rand([2, 3, 3, 4], seed: 15, scale: 2, shift: 0.5), rand([3], seed: 16), rand([3], seed: 17)]) { x in
            x[0].batchNorm(weight: x[1], bias: x[2], runningMean: rm, runningVar: rv, training: true, fusedReLU: true)
        }
    }

    // MARK: - Finite differences (x and affine parameters)

    @Test func batchNormGradients() {
        let rm = Tensor(zeros: [3]), rv = Tensor(repeating: 1, shape: [3])
        checkGradients([rand([2, 3, 3, 4], seed: 1, scale: 2, shift: 0.5), rand([3], seed: 2), rand([3], seed: 3)]) { x in
            x[0].batchNorm(weight: x[1], bias: x[2], runningMean: rm, runningVar: rv, training: true)
        }
        checkGradients([rand([2, 2, 2, 3, 3], seed: 4)]) { x in
            x[0].batchNorm(weight: nil, bias: nil, runningMean: Tensor(zeros: [2]), runningVar: Tensor(repeating: 1, shape: [2]), training: true)
        }
        let erm = rand([3], seed: 5, scale: 0.2), erv = rand([3], seed: 6, scale: 0.3, shift: 1)
        checkGradients([rand([2, 3, 2, 2, 3], seed: 7), rand([3], seed: 8), rand([3], seed: 9)]) { x in
            x[0].batchNorm(weight: x[1], bias: x[2], runningMean: erm, runningVar: erv, training: false)
        }
    }

    @Test func instanceAndGroupNormGradients() {
        checkGradients([rand([2, 3, 3, 4], seed: 10, scale: 2), rand([3], seed: 11), rand([3], seed: 12)]) { x in
            x[0].instanceNorm(weight: x[1], bias: x[2])
        }
        checkGradients([rand([2, 2, 2, 3, 3], seed: 13)]) { x in x[0].instanceNorm(weight: nil, bias: nil) }
        checkGradients([rand([2, 4, 3, 3], seed: 14, scale: 1.5), rand([4], seed: 15), rand([4], seed: 16)]) { x in
            x[0].groupNorm(groups: 2, weight: x[1], bias: x[2])
        }
        checkGradients([rand([1, 6, 2, 2, 3], seed: 17), rand([6], seed: 18), rand([6], seed: 19)]) { x in
            x[0].groupNorm(groups: 3, weight: x[1], bias: x[2])
        }
    }

    // MARK: - Properties

    @Test func normalizedStatistics() {
        let y = rand([4, 2, 5, 5], seed: 20, scale: 3, shift: 7).instanceNorm(weight: nil, bias: nil)
        let v = y.scalars
        for s in 0..<8 {
            let seg = v[(s * 25)..<((s + 1) * 25)]
            let mean = seg.reduce(0, +) / 25
            let variance = seg.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 25
            #expect(abs(mean) < 1e-4 && abs(variance - 1) < 1e-3)
        }
    }

    @Test func batchNormTrainingUpdatesRunningStatsInPlace() {
        // Channel values 1, 3 (N = 2, no spatial): mean 2, biased var 1, unbiased var 2.
        let x = Tensor([1, 3], shape: [2, 1])
        let rm = Tensor(zeros: [1]), rv = Tensor(repeating: 1, shape: [1])
        let y = x.batchNorm(weight: nil, bias: nil, runningMean: rm, runningVar: rv, training: true)
        expectClose(y.scalars, [-1, 1], atol: 1e-4)
        expectClose(rm.scalars, [0.2])
        expectClose(rv.scalars, [0.9 + 0.1 * 2])
    }

    @Test func groupsMustDivideChannelsTrap() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor(zeros: [1, 6, 2, 2]).groupNorm(groups: 4, weight: nil, bias: nil)
        }
    }
}
