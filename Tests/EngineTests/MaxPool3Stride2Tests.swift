@testable import Engine
import Testing

/// The SIMD kernels of the ResNet stem's max pool (kernel 3, stride 2, padding 1; `ssk_maxpool3s2_*` in
/// `CKernels/pool.c`) against the generic window walk: the same values (bit patterns), argmax (first maximum of ties,
/// NaN wins) and scattered gradient, in 2D and 3D, even and odd sizes, rows with and without vector blocks.
@Suite("MaxPool3Stride2")
struct MaxPool3Stride2Tests {
    static let cases: [([Int], [Int], [Int], [Int])] = [
        ([2, 3, 9, 128], [3, 3], [2, 2], [1, 1]), ([1, 2, 7, 101], [3, 3], [2, 2], [1, 1]), ([1, 1, 5, 33], [3, 3], [2, 2], [1, 1]),
        ([1, 1, 1, 1], [3, 3], [2, 2], [1, 1]), ([1, 2, 2, 3], [3, 3], [2, 2], [1, 1]),
        ([1, 2, 5, 6, 70], [3, 3, 3], [2, 2, 2], [1, 1, 1]), ([2, 1, 4, 9, 64], [3, 3, 3], [2, 2, 2], [1, 1, 1]),
        ([1, 2, 3, 7, 66], [1, 3, 3], [1, 2, 2], [0, 1, 1]),
        // the first block at ox = 0 (rows of 32 or more), the last block overlapping the previous one (even W), odd W
        ([2, 2, 5, 32], [3, 3], [2, 2], [1, 1]), ([1, 2, 4, 34], [3, 3], [2, 2], [1, 1]), ([1, 1, 3, 48], [3, 3], [2, 2], [1, 1]),
        ([1, 1, 3, 31], [3, 3], [2, 2], [1, 1]), ([1, 2, 3, 63], [3, 3], [2, 2], [1, 1]), ([2, 2, 5, 6, 32], [3, 3, 3], [2, 2, 2], [1, 1, 1]),
    ]

    static func input(_ shape: [Int], seed: UInt64) -> [Float] {
        var rng = RNG(seed: seed)
        // Few distinct values (ties), signed zeros and some NaNs.
        let pool: [Float] = [-1, 0, -0.0, 0.5, 2, .nan]
        return (0..<Shape.count(shape)).map { _ in pool[rng.int(below: pool.count)] }
    }

    static func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

    @Test func geometriesTaken() {
        let g2 = WindowGeometry(op: "t", inputSpatial: [64, 64], kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: nil)
        let g3 = WindowGeometry(op: "t", inputSpatial: [8, 64, 64], kernel: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1], dilation: nil)
        let noPad = WindowGeometry(op: "t", inputSpatial: [64, 64], kernel: [3, 3], stride: [2, 2], padding: [0, 0], dilation: nil)
        #expect(Tensor.isPool3Stride2(g2) && Tensor.isPool3Stride2(g3) && !Tensor.isPool3Stride2(noPad))
    }

    @Test(arguments: 0..<cases.count)
    func trainingArgmaxMatchesWalk(_ index: Int) {
        let (shape, kernel, stride, padding) = Self.cases[index]
        let v = Self.input(shape, seed: UInt64(20 + index))
        let fast = Tensor(v, shape: shape).maxPoolArgmax("test", kernel: kernel, stride: stride, padding: padding)
        let walk = Tensor(v, shape: shape).maxPoolArgmax("test", kernel: kernel, stride: stride, padding: padding, vectorized: false)
        #expect(fast.output.shape == walk.output.shape)
        #expect(Self.bits(fast.output.scalars) == Self.bits(walk.output.scalars))
        #expect(fast.argmax == walk.argmax)
        let x1 = Tensor(v, shape: shape, requiresGrad: true), x2 = Tensor(v, shape: shape, requiresGrad: true)
        var rng = RNG(seed: 5)
        let seed = Tensor((0..<fast.output.count).map { _ in rng.uniform(-1, 1) }, shape: fast.output.shape)
        x1.maxPoolArgmax("test", kernel: kernel, stride: stride, padding: padding).output.backward(seed)
        x2.maxPoolArgmax("test", kernel: kernel, stride: stride, padding: padding, vectorized: false).output.backward(seed)
        #expect(Self.bits(x1.grad?.scalars ?? []) == Self.bits(x2.grad?.scalars ?? []))
    }

    @Test(arguments: 0..<cases.count)
    func inferenceValuesMatchWalk(_ index: Int) {
        let (shape, kernel, stride, padding) = Self.cases[index]
        let x = Tensor(Self.input(shape, seed: UInt64(40 + index)), shape: shape)
        let fast = withNoGrad { x.maxPool(kernel: kernel, stride: stride, padding: padding) }
        let walk = x.maxPoolArgmax("test", kernel: kernel, stride: stride, padding: padding, vectorized: false).output
        #expect(fast.shape == walk.shape)
        #expect(Self.bits(fast.scalars) == Self.bits(walk.scalars))
    }
}
