import Engine
@testable import NN
import Testing
import TestSupport

extension NNTests {
    @Suite("Normalization layers")
    struct NormalizationTests {
        func sample(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
            var rng = RNG(seed: seed)
            return Tensor.randn(shape, rng: &rng) * 2 + 3
        }

        @Test func batchNormTrainUpdatesStatsAndEvalUsesThem() {
            let bn = BatchNorm(3)
            #expect(bn.namedStates().map { $0.name } == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
            let x = sample([4, 3, 5, 5])
            let y = bn(x)
            // Per channel: zero mean, unit (biased) variance.
            let m = y.mean(axes: [0, 2, 3]).scalars, v = y.squared().mean(axes: [0, 2, 3]).scalars
            expectClose(m, [0, 0, 0], atol: 1e-5)
            expectClose(v, [1, 1, 1], atol: 1e-3)
            #expect(bn.numBatchesTracked.item == 1)
            let xm = x.mean(axes: [0, 2, 3]).scalars
            expectClose(bn.runningMean.scalars, xm.map { 0.1 * $0 }, atol: 1e-5)
            #expect(bn.runningVar.scalars.allSatisfy { $0 > 1 })
            bn.eval()
            let z = bn(Tensor(zeros: [1, 3, 1, 1]))
            let expected = (0..<3).map { c in -bn.runningMean.scalars[c] / (bn.runningVar.scalars[c] + 1e-5).squareRoot() }
            expectClose(z.scalars, expected, atol: 1e-5)
            #expect(bn.numBatchesTracked.item == 1)
        }

        @Test func instanceAndGroupNorm() {
            let x = sample([2, 4, 3, 3, 3])
            let inorm = InstanceNorm(4)
            #expect(inorm.namedParameters().map { $0.name } == ["weight", "bias"] && inorm.namedBuffers().isEmpty)
            let y = inorm(x)
            expectClose(y.mean(axes: [2, 3, 4]).scalars, [Float](repeating: 0, count: 8), atol: 1e-5)
            expectClose(y.squared().mean(axes: [2, 3, 4]).scalars, [Float](repeating: 1, count: 8), atol: 1e-3)
            let gn = GroupNorm(groups: 2, channels: 4)
            let g = gn(x).reshaped([2, 2, -1])
            expectClose(g.mean(axes: [2]).scalars, [0, 0, 0, 0], atol: 1e-5)
            expectClose(g.squared().mean(axes: [2]).scalars, [1, 1, 1, 1], atol: 1e-3)
        }
    }
}
