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

    /// Every differentiable op, applied to `[2, 4, 4, 4]` inputs that require gradients.
    static let ops: [(String, (Tensor, Tensor) -> Tensor)] = [
        ("add", { $0 + $1 }), ("sub", { $0 - $1 }), ("mul", { $0 * $1 }), ("div", { $0 / $1 }),
        ("neg", { -$0 }), ("add_scalar", { a, _ in a + 1 }), ("mul_scalar", { a, _ in a * 2 }),
        ("exp", { a, _ in a.exp() }), ("log", { a, _ in a.log() }), ("sqrt", { a, _ in a.sqrt() }),
        ("pow", { a, _ in a.pow(3) }), ("square", { a, _ in a.squared() }), ("abs", { a, _ in a.abs() }),
        ("clamp", { a, _ in a.clamped(min: 0.7, max: 1.2) }), ("relu", { a, _ in a.relu() }),
        ("leaky_relu", { a, _ in a.leakyRelu() }), ("sigmoid", { a, _ in a.sigmoid() }), ("tanh", { a, _ in a.tanh() }),
        ("softmax", { a, _ in a.softmax(axis: 1) }), ("log_softmax", { a, _ in a.logSoftmax(axis: 1) }),
        ("sum", { a, _ in a.sum(axes: [1]) }), ("mean", { a, _ in a.mean() }), ("max", { a, _ in a.max(axes: [2]) }),
        ("matmul", { a, b in a.reshaped([8, 16]).matmul(b.reshaped([16, 8])) }),
        ("permute", { a, _ in a.permuted([0, 2, 1, 3]) }), ("slice", { a, _ in a.sliced([0..<1, 1..<3]) }),
        ("concat", { Tensor.concat([$0, $1], axis: 1) }), ("pad", { a, _ in a.padded([(1, 1), (0, 2)]) }),
        ("conv", { a, b in a.conv(b.sliced([0..<2, 0..<4, 0..<3, 0..<3]), bias: nil, padding: [1, 1]) }),
        ("conv_transpose", { a, b in a.convTranspose(b.permuted([1, 0, 2, 3]).sliced([0..<4, 0..<2, 0..<2, 0..<2]), bias: nil, stride: [2, 2]) }),
        ("max_pool", { a, _ in a.maxPool(kernel: [2, 2]) }), ("avg_pool", { a, _ in a.avgPool(kernel: [2, 2]) }),
        ("upsample", { a, _ in a.upsample(scale: [2, 2], mode: .linear) }),
        ("dropout", { a, _ in var rng = RNG(seed: 5); return a.dropout(p: 0.5, training: true, rng: &rng) }),
        ("batch_norm", { a, _ in
            a.batchNorm(weight: Tensor(repeating: 1, shape: [4], requiresGrad: true), bias: Tensor(zeros: [4], requiresGrad: true),
                        runningMean: Tensor(zeros: [4]), runningVar: Tensor(repeating: 1, shape: [4]), training: true)
        }),
        ("group_norm", { a, _ in a.groupNorm(groups: 2, weight: Tensor(repeating: 1, shape: [4], requiresGrad: true), bias: nil) }),
    ]

    @Test(arguments: ops.map { $0.0 })
    func graphDroppedWithoutBackwardIsFreed(_ name: String) throws {
        let op = try #require(Self.ops.first { $0.0 == name }?.1)
        weak var output: Tensor?
        weak var input: Tensor?
        do {
            let a = Self.input([2, 4, 4, 4]), b = Self.input([2, 4, 4, 4], seed: 4)
            // Two ops deep, so the output's node holds a recorded intermediate too.
            let y = op(a.exp() * 0.5 + 0.5, b)
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
