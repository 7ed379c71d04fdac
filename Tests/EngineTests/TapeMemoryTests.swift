import Engine
import Testing

/// A forward graph that is dropped without `backward()` (evaluation with recording on, a skipped step, a loss that
/// is only logged) must be freed: no backward rule may capture its own output tensor, which would make the cycle
/// output -> gradFn -> closure -> output. Found by LeakSanitizer (`scripts/sanitize.sh address`): before the fix,
/// `exp`, `log`, `relu` and the other unary maps, `softmax`, `logSoftmax` and `/` leaked every graph through them.
@Suite("Tape memory")
struct TapeMemoryTests {
    static func input(_ shape: [Int], seed: UInt64 = 3) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.uniform(shape, 0.5, 1.5, rng: &rng, requiresGrad: true)
    }

    static let ops = ["add", "sub", "mul", "div", "neg", "add_scalar", "mul_scalar", "exp", "log", "sqrt", "pow", "square",
                      "abs", "clamp", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "sum", "mean", "max",
                      "matmul", "permute", "slice", "concat", "pad", "conv", "conv_transpose", "max_pool", "avg_pool",
                      "upsample", "dropout", "batch_norm", "group_norm"]

    /// Applies the op `name` to `[2, 4, 4, 4]` inputs.
    static func apply(_ name: String, _ a: Tensor, _ b: Tensor) -> Tensor? {
        var rng = RNG(seed: 5)
        switch name {
        case "add": return a + b
        case "sub": return a - b
        case "mul": return a * b
        case "div": return a / b
        case "neg": return -a
        case "add_scalar": return a + 1
        case "mul_scalar": return a * 2
        case "exp": return a.exp()
        case "log": return a.log()
        case "sqrt": return a.sqrt()
        case "pow": return a.pow(3)
        case "square": return a.squared()
        case "abs": return a.abs()
        case "clamp": return a.clamped(min: 0.7, max: 1.2)
        case "relu": return a.relu()
        case "leaky_relu": return a.leakyRelu()
        case "sigmoid": return a.sigmoid()
        case "tanh": return a.tanh()
        case "softmax": return a.softmax(axis: 1)
        case "log_softmax": return a.logSoftmax(axis: 1)
        case "sum": return a.sum(axes: [1])
        case "mean": return a.mean()
        case "max": return a.max(axes: [2])
        case "matmul": return a.reshaped([8, 16]).matmul(b.reshaped([16, 8]))
        case "permute": return a.permuted([0, 2, 1, 3])
        case "slice": return a.sliced([0..<1, 1..<3])
        case "concat": return Tensor.concat([a, b], axis: 1)
        case "pad": return a.padded([(1, 1), (0, 2)])
        case "conv": return a.conv(b.sliced([0..<2, 0..<4, 0..<3, 0..<3]), bias: nil, padding: [1, 1])
        case "conv_transpose":
            return a.convTranspose(b.permuted([1, 0, 2, 3]).sliced([0..<4, 0..<2, 0..<2, 0..<2]), bias: nil, stride: [2, 2])
        case "max_pool": return a.maxPool(kernel: [2, 2])
        case "avg_pool": return a.avgPool(kernel: [2, 2])
        case "upsample": return a.upsample(scale: [2, 2], mode: .linear)
        case "dropout": return a.dropout(p: 0.5, training: true, rng: &rng)
        case "batch_norm":
            return a.batchNorm(weight: Tensor(repeating: 1, shape: [4], requiresGrad: true), bias: Tensor(zeros: [4], requiresGrad: true),
                               runningMean: Tensor(zeros: [4]), runningVar: Tensor(repeating: 1, shape: [4]), training: true)
        case "group_norm": return a.groupNorm(groups: 2, weight: Tensor(repeating: 1, shape: [4], requiresGrad: true), bias: nil)
        default: return nil
        }
    }

    @Test(arguments: ops)
    func graphDroppedWithoutBackwardIsFreed(_ name: String) throws {
        weak var output: Tensor?
        weak var input: Tensor?
        do {
            let a = Self.input([2, 4, 4, 4]), b = Self.input([2, 4, 4, 4], seed: 4)
            // Two ops deep, so the output's node holds a recorded intermediate too.
            let y = try #require(Self.apply(name, a.exp() * 0.5 + 0.5, b), "unknown op \(name)")
            #expect(y.requiresGrad, "\(name): recorded")
            output = y
            input = a
        }
        #expect(output == nil, "\(name): the output tensor outlives every reference to it (reference cycle through the tape)")
        #expect(input == nil, "\(name): the input is kept alive by a leaked tape")
    }

    @Test func graphAfterBackwardIsFreed() {
        weak var output: Tensor?
        do {
            let a = Self.input([2, 4, 4, 4])
            let y = (a.softmax(axis: 1) / (a.exp() + 1)).log().sum()
            y.backward()
            output = y
            #expect(a.grad != nil)
        }
        #expect(output == nil)
    }
}
