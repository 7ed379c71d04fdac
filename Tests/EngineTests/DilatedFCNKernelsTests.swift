@testable import Engine
import TestSupport
import Testing

/// The kernels behind the dilated FCN's inference and training (docs/ARCHITECTURE.md, Engine): leaky ReLU's SIMD forward
/// and backward against the scalar definition (bit for bit, every tail length, NaN, ±0, sizes split across workers),
/// its inference variant with a residual addition, and the 1x1 convolution of a channel concatenation read in place.
@Suite("Dilated FCN kernels")
struct DilatedFCNKernelsTests {
    /// Values with ties at 0, signed zeros, NaN and both signs.
    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RNG(seed: seed)
        let special: [Float] = [0, -0.0, .nan, 1e-30, -1e-30, .infinity, -.infinity]
        return (0..<n).map { i in i % 11 == 5 ? special[(i / 11) % special.count] : rng.uniform(-2, 2) }
    }

    static func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

    /// Lengths around the 8-wide SIMD step and above the elementwise chunk (both workers busy).
    @Test(arguments: [1, 7, 8, 9, 17, 100, 70_001])
    func leakyReluMatchesTheScalarDefinitionBitForBit(_ n: Int) {
        let slope: Float = 0.3
        let xv = Self.values(n, seed: UInt64(n)), gv = Self.values(n, seed: UInt64(n) + 1).map { $0.isNaN ? 0.5 : $0 }
        let x = Tensor(xv, shape: [n]).requiringGrad()
        let y = x.leakyRelu(slope)
        #expect(Self.bits(y.scalars) == Self.bits(xv.map { $0 > 0 ? $0 : slope * $0 }))
        y.backward(Tensor(gv, shape: [n]))
        let expected = zip(xv, gv).map { x, g in g * (x > 0 ? 1 : slope) }
        #expect(Self.bits(x.grad?.scalars ?? []) == Self.bits(expected))
    }

    @Test func leakyReluGradientByFiniteDifferences() {
        var rng = RNG(seed: 3)
        // At least 0.1 away from the kink at 0 (finite differences step 1e-2).
        let v = (0..<210).map { _ in let u = rng.uniform(-1, 1); return u < 0 ? u - 0.1 : u + 0.1 }
        checkGradients([Tensor(v, shape: [2, 3, 5, 7])]) { x in x[0].leakyRelu(0.3) }
    }

    @Test(arguments: [5, 64, 70_003])
    func leakyReluWithResidualIsBothOps(_ n: Int) {
        let x = Tensor(Self.values(n, seed: 7), shape: [n]), r = Tensor(Self.values(n, seed: 8), shape: [n])
        let fused = withNoGrad { x.leakyReluInference(0.3, adding: r) }
        let separate = withNoGrad { r + x.leakyRelu(0.3) }
        #expect(Self.bits(fused.scalars) == Self.bits(separate.scalars))
    }

    /// 2D and 3D, 2 to 10 parts of unequal widths, bias and batch-norm epilogue with and without ReLU, positions that do
    /// not fill the last tile: against the concatenation followed by the 1x1 convolution.
    @Test(arguments: [([2, 3, 37, 41], [16, 16, 8], true), ([1, 1, 5, 9, 11], [4, 12], false),
                      ([3, 2, 64, 64], [16, 16, 16, 16, 16, 16, 16, 16, 16, 16], false), ([1, 1, 7, 300], [5, 3, 9], true)])
    func pointwiseConvOfConcatenationMatchesTheCopy(_ shape: [Int], _ widths: [Int], _ relu: Bool) {
        var rng = RNG(seed: 11)
        let parts = widths.map { c in Tensor.uniform([shape[0], c] + shape[2...], -1, 1, rng: &rng) }
        let cin = widths.reduce(0, +), cout = 24, k = [Int](repeating: 1, count: shape.count - 2)
        let w = Tensor.uniform([cout, cin] + k, -0.2, 0.2, rng: &rng), bias = Tensor.uniform([cout], -0.2, 0.2, rng: &rng)
        let scale = (0..<cout).map { Float($0 % 5) * 0.4 - 0.7 }, shift = (0..<cout).map { Float($0 % 3) * 0.3 - 0.2 }
        for affine in [false, true] {
            let inPlace = withNoGrad {
                Tensor.convInference(concatenating: parts, w, bias: bias, scale: affine ? scale : nil, shift: affine ? shift : nil, relu: relu)
            }
            let copied = withNoGrad {
                Tensor.concat(parts, axis: 1).convInference(w, bias: bias, scale: affine ? scale : nil, shift: affine ? shift : nil, relu: relu)
            }
            #expect(inPlace.shape == copied.shape)
            expectClose(inPlace, copied, atol: 1e-5, rtol: 1e-5)
        }
    }
}
