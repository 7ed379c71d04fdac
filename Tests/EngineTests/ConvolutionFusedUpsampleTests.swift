@testable import Engine
import Testing

/// The inference convolution that reads a nearest-x2 upsampling in place (`convInference(upsampledNearest:)`,
/// `ssk_wino_rows_up`; docs/ARCHITECTURE.md, Engine) against upsampling first, bit for bit.
@Suite("ConvolutionFusedUpsample")
struct ConvolutionFusedUpsampleTests {
    static func values(_ n: Int, seed: UInt64, bound: Float) -> [Float] { ConvolutionWinogradTrainingTests.values(n, seed: seed, bound: bound) }

    /// (input [N, Cin, *spatial], scale, cout): Winograd-sized 2D with the upsampled width a multiple of 16 and not
    /// (26, 70: a partial last vector), 3D upsampled in depth too and not, and a shape below Winograd's channel minimum
    /// (then it upsamples first).
    @Test(arguments: [([2, 16, 6, 8], [2, 2], 16), ([1, 32, 5, 13], [2, 2], 24), ([1, 16, 3, 35], [2, 2], 16),
                      ([1, 16, 2, 3, 10], [2, 2, 2], 16), ([1, 16, 3, 3, 9], [1, 2, 2], 16), ([1, 4, 4, 8], [2, 2], 8)])
    func upsampledInputReadInPlace(_ xs: [Int], _ scale: [Int], _ cout: Int) {
        let x = Tensor(Self.values(Shape.count(xs), seed: 21, bound: 1), shape: xs)
        let cin = xs[1], sp = xs.count - 2, kv = sp == 2 ? 9 : 27, pad = [Int](repeating: 1, count: sp)
        let w = Tensor(Self.values(cout * cin * kv, seed: 22, bound: 0.2), shape: [cout, cin] + [Int](repeating: 3, count: sp))
        let bias = Tensor(Self.values(cout, seed: 23, bound: 0.2), shape: [cout])
        let sc = Self.values(cout, seed: 24, bound: 2), sh = Self.values(cout, seed: 25, bound: 1)
        for (affine, relu) in [(false, false), (true, true)] {
            let inPlace = withNoGrad {
                x.convInference(upsampledNearest: scale, w, bias: bias, scale: affine ? sc : nil, shift: affine ? sh : nil, relu: relu, padding: pad)
            }
            let copied = withNoGrad {
                x.upsample(scale: scale, mode: .nearest).convInference(w, bias: bias, scale: affine ? sc : nil, shift: affine ? sh : nil,
                                                                       relu: relu, padding: pad)
            }
            #expect(inPlace.shape == copied.shape)
            #expect(inPlace.scalars == copied.scalars, "input \(xs), scale \(scale), affine \(affine)")
        }
    }
}
