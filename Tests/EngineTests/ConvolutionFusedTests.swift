@testable import Engine
import Testing

/// `convInference` (conv + eval batch norm + ReLU in the kernel's store) against the unfused ops, bit for bit, on shapes
/// that take each kernel path: direct 3-wide kernels, im2col + sgemm (W not a multiple of 16, strides, dilations),
/// the small-channel pointwise loops and the pointwise sgemm; where the automatic choice runs the inference
/// convolution as Winograd F(4x4, 3x3) (`ConvKernels.useWinograd`), within Winograd's tolerance (1e-4 of the largest
/// magnitude, ConvolutionWinogradTests) instead.
@Suite("ConvolutionFused")
struct ConvolutionFusedTests {
    /// (batch, cin, cout, spatial, kernel, stride, padding, dilation).
    static let cases: [(Int, Int, Int, [Int], Int, Int, Int, Int)] = [
        (2, 3, 8, [16, 32], 3, 1, 1, 1),        // direct 2D
        (1, 6, 19, [3, 4, 32], 3, 1, 1, 1),     // Winograd 3D (3 * Cin = 18 >= 16), channels not a multiple of the register block
        (1, 5, 13, [3, 4, 32], 3, 1, 1, 1),     // direct 3D (Cout = 13: too few output channels for Winograd)
        (2, 16, 8, [9, 21], 3, 1, 1, 1),        // Winograd 2D, H and W not multiples of the tile
        (1, 1, 8, [4, 8, 16], 3, 1, 1, 1),      // direct, one input channel
        (2, 4, 6, [5, 10], 3, 1, 1, 1),         // im2col + sgemm (W = 10)
        (1, 3, 4, [4, 6, 8], 3, 1, 1, 1),       // im2col + sgemm 3D (W = 8, the deepest unet3d-s8 stage)
        (1, 4, 5, [9, 11], 3, 2, 1, 1),         // strided
        (1, 3, 3, [12, 16], 3, 1, 2, 2),        // dilated
        (2, 8, 2, [6, 16], 1, 1, 0, 1),         // pointwise, few channels
        (1, 8, 8, [3, 4, 16], 1, 1, 0, 1),      // pointwise sgemm
    ]

    static func values(_ shape: [Int], seed: UInt64, lo: Float = -1, hi: Float = 1) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.uniform(shape, lo, hi, rng: &rng)
    }

    @Test(arguments: 0..<cases.count)
    func fusedEqualsConvBatchNormReLU(_ index: Int) {
        let (batch, cin, cout, sp, k, s, p, d) = Self.cases[index]
        let r = sp.count
        let x = Self.values([batch, cin] + sp, seed: 1)
        let w = Self.values([cout, cin] + [Int](repeating: k, count: r), seed: 2)
        let b = Self.values([cout], seed: 3)
        let gamma = Self.values([cout], seed: 4, lo: 0.5, hi: 2), beta = Self.values([cout], seed: 5)
        let mean = Self.values([cout], seed: 6), variance = Self.values([cout], seed: 7, lo: 0.1, hi: 3)
        let st = [Int](repeating: s, count: r), pd = [Int](repeating: p, count: r), dl = [Int](repeating: d, count: r)
        let geometry = WindowGeometry(op: "test", inputSpatial: sp, kernel: [Int](repeating: k, count: r), stride: st, padding: pd,
                                      dilation: dl)
        let winograd = ConvKernels.useWinograd(cin: cin, cout: cout, geometry)
        let affine = Tensor.batchNormEvalAffine(weight: gamma, bias: beta, runningMean: mean, runningVar: variance, eps: 1e-5)
        for bias in [b, nil] as [Tensor?] {
            let conv = x.conv(w, bias: bias, stride: st, padding: pd, dilation: dl)
            let bn = conv.batchNorm(weight: gamma, bias: beta, runningMean: mean, runningVar: variance, training: false, eps: 1e-5)
            let cases: [(Bool, Bool, Tensor)] = [
                (false, false, conv), (false, true, conv.relu()), (true, false, bn), (true, true, bn.relu()),
            ]
            for (withAffine, relu, expected) in cases {
                let got = x.convInference(w, bias: bias, scale: withAffine ? affine.scale : nil, shift: withAffine ? affine.shift : nil,
                                          relu: relu, stride: st, padding: pd, dilation: dl)
                #expect(got.shape == expected.shape)
                if winograd {
                    let magnitude = expected.scalars.reduce(0) { Swift.max($0, abs($1)) }
                    let worst = zip(got.scalars, expected.scalars).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
                    #expect(worst <= 1e-4 * magnitude, "case \(index) bias \(bias != nil) affine \(withAffine) relu \(relu): \(worst)")
                } else {
                    #expect(got.scalars == expected.scalars, "case \(index) bias \(bias != nil) affine \(withAffine) relu \(relu)")
                }
            }
            // The fused batch norm + ReLU op gives the same values too.
            let bnRelu = conv.batchNorm(weight: gamma, bias: beta, runningMean: mean, runningVar: variance, training: false, eps: 1e-5,
                                        fusedReLU: true)
            #expect(bnRelu.scalars == bn.relu().scalars)
        }
    }

    @Test func recordsNothing() {
        var rng = RNG(seed: 9)
        let x = Tensor.randn([1, 2, 4, 16], rng: &rng), w = Tensor.randn([3, 2, 3, 3], rng: &rng, requiresGrad: true)
        let y = withNoGrad { x.convInference(w, bias: nil, scale: nil, shift: nil, relu: true, padding: [1, 1]) }
        #expect(!y.requiresGrad)
    }
}
