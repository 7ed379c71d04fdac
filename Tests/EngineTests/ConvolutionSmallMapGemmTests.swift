@testable import Engine
import TestSupport
import Testing

/// The weight gradient of 2D convolutions on small maps as one GEMM over the batch (`ConvKernels.smallMapWeightGrad`,
/// docs/ARCHITECTURE.md, Engine) against the per-sample im2col + sgemm path it replaces.
@Suite("ConvolutionSmallMapGemm")
struct ConvolutionSmallMapGemmTests {
    static func values(_ n: Int, seed: UInt64, bound: Float) -> [Float] {
        var rng = RNG(seed: seed)
        return (0..<n).map { _ in rng.uniform(-bound, bound) }
    }

    /// (batch, cin, cout, input H x W, kernel, stride, padding, dilation): SegNet's / DeepLab's 8x8 3x3 convs, a stride-2
    /// 3x3 conv to 16x16, a dilated 8x8 conv, odd sizes with a 5x3 kernel, 4x4 maps with more channels than one chunk.
    @Test(arguments: [(4, 128, 128, [8, 8], [3, 3], [1, 1], [1, 1], [1, 1]), (4, 16, 32, [32, 32], [3, 3], [2, 2], [1, 1], [1, 1]),
                      (2, 64, 64, [8, 8], [3, 3], [1, 1], [2, 2], [2, 2]), (3, 5, 7, [9, 11], [5, 3], [1, 1], [2, 0], [1, 1]),
                      (2, 256, 24, [4, 4], [3, 3], [1, 1], [1, 1], [1, 1])])
    func matchesPerSampleIm2col(_ batch: Int, _ cin: Int, _ cout: Int, _ sp: [Int], _ k: [Int], _ s: [Int], _ pad: [Int], _ dil: [Int]) {
        let g = WindowGeometry(op: "test", inputSpatial: sp, kernel: k, stride: s, padding: pad, dilation: dil)
        #expect(ConvKernels.useSmallMapWeightGrad(batch: batch, cin: cin, g))
        let x = Self.values(batch * cin * g.inputVolume, seed: 1, bound: 1), gy = Self.values(batch * cout * g.outputVolume, seed: 2, bound: 1)
        var got = [Float](repeating: .nan, count: cout * cin * g.kernelVolume), ref = got
        ConvKernels.smallMapWeightGrad(x: x, gy: gy, dw: &got, batch: batch, cin: cin, cout: cout, g)
        ConvKernels.backwardWeight(x: x, gy: gy, dw: &ref, batch: batch, cin: cin, cout: cout, g, allowDirect: false)
        let magnitude = ref.reduce(0) { Swift.max($0, abs($1)) }
        let worst = zip(got, ref).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 1e-5 * magnitude, "max |diff| \(worst), max |ref| \(magnitude)")
    }

    /// Not taken: one sample, 1x1 kernels, 3D, maps over 16x16, and `.gemm` (the reference path).
    @Test func ruleKeepsOtherShapesOnTheirPaths() {
        let g8 = WindowGeometry(op: "test", inputSpatial: [8, 8], kernel: [3, 3], stride: nil, padding: [1, 1], dilation: nil)
        #expect(!ConvKernels.useSmallMapWeightGrad(batch: 1, cin: 64, g8))
        #expect(!ConvKernels.useSmallMapWeightGrad(batch: 4, cin: 64,
                                                   WindowGeometry(op: "test", inputSpatial: [8, 8], kernel: [1, 1], stride: nil, padding: nil, dilation: nil)))
        #expect(!ConvKernels.useSmallMapWeightGrad(batch: 4, cin: 64,
                                                   WindowGeometry(op: "test", inputSpatial: [4, 8, 8], kernel: [3, 3, 3], stride: nil, padding: [1, 1, 1], dilation: nil)))
        #expect(!ConvKernels.useSmallMapWeightGrad(batch: 4, cin: 16,
                                                   WindowGeometry(op: "test", inputSpatial: [24, 24], kernel: [3, 3], stride: nil, padding: [1, 1], dilation: nil)))
        ConvKernels.$scopedAlgorithm.withValue(.gemm) { #expect(!ConvKernels.useSmallMapWeightGrad(batch: 4, cin: 64, g8)) }
    }
}
