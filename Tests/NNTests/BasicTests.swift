import Engine
@testable import NN
import Testing
import TestSupport

extension NNTests {
    @Suite("Basic layers")
    struct BasicTests {
        @Test func activationsPoolingUpsampling() {
            let x = Tensor([-1, 2, -3, 4], shape: [1, 1, 2, 2])
            #expect(ReLU()(x).scalars == [0, 2, 0, 4])
            #expect(LeakyReLU(slope: 0.5)(x).scalars == [-0.5, 2, -1.5, 4])
            #expect(Identity()(x) === x)
            #expect(MaxPool(kernel: [2, 2])(x).scalars == [4])
            let up = Upsample(scale: [2, 2])(Tensor([1, 2], shape: [1, 1, 1, 2]))
            #expect(up.shape == [1, 1, 2, 4] && up.scalars == [1, 1, 2, 2, 1, 1, 2, 2])
        }

        @Test func dropoutTrainEvalAndMC() {
            let d = Dropout(p: 0.5, seed: 3)
            let x = Tensor(repeating: 1, shape: [1, 4, 16, 16])
            let y = d(x).scalars
            #expect(y.allSatisfy { $0 == 0 || $0 == 2 })
            let kept = Float(y.filter { $0 > 0 }.count) / Float(y.count)
            #expect(abs(kept - 0.5) < 0.1)
            d.eval()
            #expect(d(x).scalars == x.scalars)
            d.alwaysActive = true
            #expect(d(x).scalars != x.scalars)
            let c = Dropout(p: 0.5, channelwise: true, seed: 4)
            let z = c(x)
            for ch in 0..<4 {
                let vals = Set(z.sliced([0..<1, ch..<(ch + 1)]).scalars)
                #expect(vals.count == 1)
            }
        }

        @Test func sequentialNamesChildrenByIndex() {
            var rng = RNG(seed: 1)
            let s = Sequential([Conv(1, 2, kernel: 3, dims: 2, padding: 1, rng: &rng), BatchNorm(2), ReLU()])
            #expect(s.namedStates().map { $0.name } == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                                                         "1.num_batches_tracked"])
            #expect(s(Tensor(zeros: [1, 1, 4, 4])).shape == [1, 2, 4, 4])
        }
    }
}
