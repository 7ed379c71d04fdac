@testable import Engine
import Testing

/// Dilated 3x3 2D convolutions in the polyphase (space-to-batch) form of `ConvolutionSpaceToBatch.swift` against the
/// `.gemm` reference (the dilated im2col path): forward, the three gradients through the tape, and the fused inference op.
@Suite("ConvolutionSpaceToBatch")
struct ConvolutionSpaceToBatchTests {
    static func maxDiff(_ a: [Float], _ r: [Float]) -> (diff: Float, magnitude: Float) {
        (zip(a, r).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }, r.reduce(0) { Swift.max($0, abs($1)) })
    }

    /// The rule: rate > 1 in both dims, stride 1, padding == rate, sides multiples of the rate, sub-planes >= 8x8,
    /// 3x3 kernels, `.automatic` only.
    @Test func ruleApplies() {
        func rate(_ input: [Int], _ weight: [Int] = [8, 8, 3, 3], stride: [Int]? = nil, padding: [Int]?, dilation: [Int]?) -> Int? {
            ConvKernels.spaceToBatchRate(input: input, weight: weight, stride: stride, padding: padding, dilation: dilation)
        }
        #expect(rate([8, 8, 16, 16], padding: [2, 2], dilation: [2, 2]) == 2)
        #expect(rate([1, 8, 24, 32], padding: [4, 4], dilation: [4, 4]) == nil)  // 24 / 4 = 6 < 8
        #expect(rate([1, 8, 32, 40], padding: [4, 4], dilation: [4, 4]) == 4)
        #expect(rate([4, 8, 8, 8], padding: [2, 2], dilation: [2, 2]) == nil)   // 4x4 sub-planes keep the dilated kernels
        #expect(rate([4, 8, 16, 18], padding: [3, 3], dilation: [3, 3]) == nil)  // 16 is not a multiple of 3
        #expect(rate([4, 8, 16, 16], padding: [1, 1], dilation: [2, 2]) == nil)
        #expect(rate([4, 8, 16, 16], stride: [2, 2], padding: [2, 2], dilation: [2, 2]) == nil)
        #expect(rate([4, 8, 16, 16], padding: [1, 1], dilation: nil) == nil)
        #expect(rate([4, 8, 16, 16], [8, 8, 5, 5], padding: [2, 2], dilation: [2, 2]) == nil)
        #expect(rate([4, 8, 16, 16, 16], [8, 8, 3, 3, 3], padding: [2, 2, 2], dilation: [2, 2, 2]) == nil)
        ConvKernels.$scopedAlgorithm.withValue(.gemm) { #expect(rate([8, 8, 16, 16], padding: [2, 2], dilation: [2, 2]) == nil) }
        // Inference takes 4x4 sub-planes too (DeepLab's layer4 at 128x128 inputs), not smaller ones.
        func inferenceRate(_ input: [Int], _ r: Int) -> Int? {
            ConvKernels.spaceToBatchRate(input: input, weight: [8, 8, 3, 3], stride: nil, padding: [r, r], dilation: [r, r],
                                         minimumSide: ConvKernels.spaceToBatchInferenceMinimumSide)
        }
        #expect(inferenceRate([4, 8, 8, 8], 2) == 2)
        #expect(inferenceRate([1, 8, 24, 32], 4) == 4)
        #expect(inferenceRate([4, 8, 6, 6], 2) == nil)  // 3x3 sub-planes
    }

    /// spaceToBatch puts `x[n, c, r·h' + ph, r·w' + pw]` at batch `(ph·r + pw)·N + n`; batchToSpace inverts it exactly.
    @Test func layoutRoundTrip() {
        var rng = RNG(seed: 3)
        let x = Tensor.uniform([2, 3, 6, 9], -1, 1, rng: &rng), r = 3
        let s = x.spaceToBatch(r), xs = x.scalars, ss = s.scalars
        #expect(s.shape == [18, 3, 2, 3])
        for n in 0..<2 { for c in 0..<3 { for h in 0..<6 { for w in 0..<9 {
            let b = ((h % r) * r + w % r) * 2 + n
            #expect(ss[((b * 3 + c) * 2 + h / r) * 3 + w / r] == xs[((n * 3 + c) * 6 + h) * 9 + w])
        } } } }
        #expect(s.batchToSpace(r, batch: 2).scalars.map(\.bitPattern) == xs.map(\.bitPattern))
        #expect(x.spaceToBatchNoGrad(r).batchToSpaceNoGrad(r, batch: 2).scalars.map(\.bitPattern) == xs.map(\.bitPattern))
    }

    /// (batch, cin, cout, H, W, rate)
    static let cases: [(Int, Int, Int, Int, Int, Int)] = [(2, 16, 24, 16, 16, 2), (1, 8, 5, 24, 32, 2), (2, 16, 16, 32, 40, 4), (1, 4, 6, 24, 48, 3)]

    @Test(arguments: 0..<cases.count)
    func trainingMatchesGemm(_ index: Int) {
        let (batch, cin, cout, h, w, r) = Self.cases[index]
        #expect(ConvKernels.spaceToBatchRate(input: [batch, cin, h, w], weight: [cout, cin, 3, 3], stride: nil, padding: [r, r], dilation: [r, r]) == r)
        var rng = RNG(seed: UInt64(40 + index))
        let x = Tensor.uniform([batch, cin, h, w], -1, 1, rng: &rng), wt = Tensor.uniform([cout, cin, 3, 3], -0.3, 0.3, rng: &rng)
        let b = Tensor.uniform([cout], -0.5, 0.5, rng: &rng), gy = Tensor.uniform([batch, cout, h, w], -1, 1, rng: &rng)
        func pass(_ algorithm: ConvAlgorithm) -> [[Float]] {
            ConvKernels.$scopedAlgorithm.withValue(algorithm) {
                let xi = Tensor(x.scalars, shape: x.shape).requiringGrad(), wi = Tensor(wt.scalars, shape: wt.shape).requiringGrad()
                let bi = Tensor(b.scalars, shape: b.shape).requiringGrad()
                let y = xi.conv(wi, bias: bi, padding: [r, r], dilation: [r, r])
                (y * gy).sum().backward()
                return [y.scalars, xi.grad?.scalars ?? [], wi.grad?.scalars ?? [], bi.grad?.scalars ?? []]
            }
        }
        let got = pass(.automatic), ref = pass(.gemm)
        for (label, (a, e)) in zip(["forward", "input gradient", "weight gradient", "bias gradient"], zip(got, ref)) {
            let (d, mag) = Self.maxDiff(a, e)
            #expect(a.count == e.count && !a.contains { $0.isNaN } && d <= 1e-4 * Swift.max(mag, 1), "case \(index) \(label): max |diff| \(d), max |ref| \(mag)")
        }
    }

    /// The training cases, and two whose 4x4 sub-planes only inference puts in the polyphase form.
    static let inferenceCases = cases + [(4, 32, 16, 8, 8, 2), (1, 8, 8, 12, 15, 3)]

    @Test(arguments: 0..<inferenceCases.count)
    func inferenceMatchesGemm(_ index: Int) {
        let (batch, cin, cout, h, w, r) = Self.inferenceCases[index]
        #expect(ConvKernels.spaceToBatchRate(input: [batch, cin, h, w], weight: [cout, cin, 3, 3], stride: nil, padding: [r, r], dilation: [r, r],
                                             minimumSide: ConvKernels.spaceToBatchInferenceMinimumSide) == r)
        var rng = RNG(seed: UInt64(60 + index))
        let x = Tensor.uniform([batch, cin, h, w], -1, 1, rng: &rng), wt = Tensor.uniform([cout, cin, 3, 3], -0.3, 0.3, rng: &rng)
        let b = Tensor.uniform([cout], -0.5, 0.5, rng: &rng)
        let scale = (0..<cout).map { _ in rng.uniform(0.5, 1.5) }, shift = (0..<cout).map { _ in rng.uniform(-0.5, 0.5) }
        func pass(_ algorithm: ConvAlgorithm) -> [Float] {
            ConvKernels.$scopedAlgorithm.withValue(algorithm) {
                withNoGrad { x.convInference(wt, bias: b, scale: scale, shift: shift, relu: true, padding: [r, r], dilation: [r, r]).scalars }
            }
        }
        let got = pass(.automatic), ref = pass(.gemm)
        let (d, mag) = Self.maxDiff(got, ref)
        #expect(got.count == ref.count && d <= 1e-4 * Swift.max(mag, 1), "case \(index): max |diff| \(d), max |ref| \(mag)")
    }
}
