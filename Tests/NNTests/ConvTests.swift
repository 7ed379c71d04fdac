import Engine
@testable import NN
import Testing
import TestSupport

extension NNTests {
    @Suite("Conv layers")
    struct ConvTests {
        @Test func convShapesNamesAndInitBounds() {
            var rng = RNG(seed: 1)
            let c3 = Conv(4, 6, kernel: 3, dims: 3, padding: 1, rng: &rng)
            #expect(c3.namedParameters().map { $0.name } == ["weight", "bias"])
            #expect(c3.weight.shape == [6, 4, 3, 3, 3] && c3.bias?.shape == [6])
            let bound = 1 / Float(4 * 27).squareRoot()
            #expect(c3.weight.scalars.allSatisfy { abs($0) <= bound } && (c3.bias?.scalars ?? []).allSatisfy { abs($0) <= bound })
            #expect(c3.weight.scalars.map { abs($0) }.max() ?? 0 > 0.9 * bound)
            #expect(c3(Tensor(zeros: [1, 4, 4, 4, 4])).shape == [1, 6, 4, 4, 4])
            let c2 = Conv(2, 3, kernel: 1, dims: 2, bias: false, rng: &rng)
            #expect(c2.bias == nil && c2.namedParameters().count == 1)
            #expect(c2(Tensor(zeros: [2, 2, 5, 5])).shape == [2, 3, 5, 5])
        }

        @Test func convComputesACorrelation() {
            var rng = RNG(seed: 2)
            let c = Conv(1, 1, kernel: [1, 2], rng: &rng)
            c.weight.withMutableData { $0[0] = 1; $0[1] = -1 }
            c.bias?.withMutableData { $0[0] = 0.5 }
            let y = c(Tensor([1, 4, 9, 16], shape: [1, 1, 1, 4]))
            #expect(y.scalars == [-2.5, -4.5, -6.5])
        }

        @Test func transposedConvShapesAndLayout() {
            var rng = RNG(seed: 3)
            let t = ConvTranspose(4, 2, kernel: [2, 2], stride: [2, 2], rng: &rng)
            #expect(t.weight.shape == [4, 2, 2, 2])
            let bound = 1 / Float(2 * 4).squareRoot()
            #expect(t.weight.scalars.allSatisfy { abs($0) <= bound })
            #expect(t(Tensor(zeros: [1, 4, 3, 5])).shape == [1, 2, 6, 10])
        }
    }
}
