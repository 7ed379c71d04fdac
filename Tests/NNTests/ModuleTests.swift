import Engine
@testable import NN
import Testing
import TestSupport

/// A two-level toy network for naming tests.
final class Toy: Module {
    let conv: Conv, norm: BatchNorm, seq: Sequential
    override init() {
        var rng = RNG(seed: 1)
        conv = Conv(2, 3, kernel: 3, dims: 2, padding: 1, rng: &rng)
        norm = BatchNorm(3)
        seq = Sequential([ReLU(), Conv(3, 1, kernel: 1, dims: 2, rng: &rng), Dropout(p: 0.5)])
        super.init()
        registerParameter("scale", Tensor(repeating: 1, shape: [1]))
        registerModule("conv", conv)
        registerModule("norm", norm)
        registerModule("seq", seq)
    }
    override func callAsFunction(_ x: Tensor) -> Tensor { seq(norm(conv(x))) * parameters()[0] }
}

extension NNTests {
    @Suite("Module")
    struct ModuleTests {
        @Test func namesFollowPyTorchStateDictOrder() {
            let m = Toy()
            #expect(m.namedParameters().map { $0.name } == ["scale", "conv.weight", "conv.bias", "norm.weight", "norm.bias", "seq.1.weight", "seq.1.bias"])
            #expect(m.namedBuffers().map { $0.name } == ["norm.running_mean", "norm.running_var", "norm.num_batches_tracked"])
            #expect(m.namedStates().map { $0.name } == ["scale", "conv.weight", "conv.bias", "norm.weight", "norm.bias", "norm.running_mean",
                                                         "norm.running_var", "norm.num_batches_tracked", "seq.1.weight", "seq.1.bias"])
            #expect(m.parameterCount == 1 + 54 + 3 + 3 + 3 + 3 + 1)
            #expect(m.integerStateNames() == ["norm.num_batches_tracked"])
            #expect(m.parameters().allSatisfy { $0.requiresGrad })
        }

        @Test func trainingFlagPropagates() {
            let m = Toy()
            #expect(m.namedModules().allSatisfy { $0.module.training })
            m.eval()
            #expect(m.namedModules().allSatisfy { !$0.module.training })
            m.train()
            #expect(m.seq.layers[2].training)
        }

        @Test func strictLoadRoundTripsAndReportsKeys() throws {
            let a = Toy(), b = Toy()
            let sd = a.stateDict().mapValues { $0.copy() }
            sd["conv.weight"]?.withMutableData { $0[0] = 42 }
            let weightRef = b.conv.weight
            try b.load(stateDict: sd)
            #expect(b.conv.weight === weightRef)         // loaded in place
            #expect(b.conv.weight.scalars == sd["conv.weight"]?.scalars)

            var missing = sd; missing["norm.running_var"] = nil; missing["scale"] = nil
            #expect(throws: StateDictError.missingKeys(["scale", "norm.running_var"])) { try b.load(stateDict: missing) }
            var extra = sd; extra["foo.bar"] = Tensor(zeros: [1])
            #expect(throws: StateDictError.unexpectedKeys(["foo.bar"])) { try b.load(stateDict: extra) }
            var wrong = sd; wrong["conv.bias"] = Tensor(zeros: [4])
            #expect(throws: StateDictError.shapeMismatch(key: "conv.bias", expected: [3], found: [4])) { try b.load(stateDict: wrong) }
            // A failed load changes nothing.
            #expect(b.conv.weight.scalars == sd["conv.weight"]?.scalars)
        }

        @Test func forwardAndZeroGrad() {
            let m = Toy()
            var rng = RNG(seed: 3)
            let x = Tensor.randn([2, 2, 4, 4], rng: &rng)
            let y = m(x)
            #expect(y.shape == [2, 1, 4, 4])
            y.sum().backward()
            #expect(m.parameters().allSatisfy { $0.grad != nil })
            m.zeroGrad()
            #expect(m.parameters().allSatisfy { $0.grad == nil })
            #expect(m.norm.numBatchesTracked.item == 1)
        }
    }
}
