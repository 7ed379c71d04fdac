import Engine
import TestSupport
import Testing
@testable import Training

@Suite("Sliding window inference")
struct SlidingWindowTests {
    /// A "model" whose logits depend only on the voxel value: class 1 logit = x, class 0 logit = 0.
    func pointwise(_ x: Tensor) -> Tensor {
        let zeros = x * 0
        return Tensor.concat([zeros, x], axis: 1)
    }

    @Test func startsCoverTheVolume() {
        #expect(SlidingWindow.starts(size: 10, p: 10, step: 0.5) == [0])
        #expect(SlidingWindow.starts(size: 5, p: 8, step: 0.5) == [0])
        let s = SlidingWindow.starts(size: 100, p: 32, step: 0.5)
        #expect(s.first == 0 && s.last == 68)
        #expect(zip(s, s.dropFirst()).allSatisfy { $1 - $0 <= 16 })
    }

    @Test(arguments: [false, true])
    func pointwiseModelGivesExactSoftmax(mirror: Bool) {
        var rng = RNG(seed: 2)
        let img = Tensor.uniform([1, 7, 20, 18], -2, 2, rng: &rng)
        let sw = SlidingWindow(patch: [4, 8, 8], mirror: mirror, batchSize: 3)
        let p = sw.predict(img, classes: 2, forward: pointwise)
        #expect(p.shape == [2, 7, 20, 18])
        let expected = pointwise(img.reshaped([1, 1, 7, 20, 18])).softmax(axis: 1).reshaped([2, 7, 20, 18])
        expectClose(p, expected, atol: 1e-5)
    }

    @Test func twoDimensionalPatchesReachTheModelAs2D() {
        var rng = RNG(seed: 4)
        let img = Tensor.uniform([1, 1, 30, 30], -1, 1, rng: &rng)
        let sw = SlidingWindow(patch: [1, 16, 16])
        var ranks = Set<Int>()
        let p = sw.predict(img, classes: 2) { x in ranks.insert(x.rank); return pointwise(x) }
        #expect(ranks == [4])
        #expect(p.shape == [2, 1, 30, 30])
    }

    /// Gaussian weighting against a direct computation: a model whose probabilities are constant per window (window i
    /// predicts class 1 with probability p_i) gives, at every voxel, sum_i w_i(v) p_i / sum_i w_i(v) with w_i the
    /// importance map (sigma 1/8 of the patch, MONAI's and nnU-Net's sigma_scale 0.125) placed at window i.
    @Test func gaussianWeightsBlendOverlappingWindows() {
        let sw = SlidingWindow(patch: [4, 8, 8], stepFraction: 0.5)
        let size = [6, 12, 20]
        let img = Tensor(zeros: [1] + size)
        var calls = 0
        var starts: [[Int]] = []
        for z in SlidingWindow.starts(size: 6, p: 4, step: 0.5) {
            for y in SlidingWindow.starts(size: 12, p: 8, step: 0.5) {
                for x in SlidingWindow.starts(size: 20, p: 8, step: 0.5) { starts.append([z, y, x]) }
            }
        }
        func logit(_ i: Int) -> Float { Float(i % 5) * 0.7 - 1.3 }
        let p = sw.predict(img, classes: 2) { x in
            let l = logit(calls)
            calls += 1
            let ones = Tensor(repeating: l, shape: x.shape)
            return Tensor.concat([x * 0, ones], axis: 1)
        }
        #expect(calls == starts.count)
        let w = sw.importanceMap()
        // The map: Gaussian along each axis around the patch centre, sigma = patch / 8, maximum 1.
        let s = 8.0 / 8, c = 3.5
        #expect(abs(Double(w[(1 * 8 + 3) * 8 + 0]) / Double(w[(1 * 8 + 3) * 8 + 3]) - _exp(-(c * c - 0.25) / (2 * s * s))) < 1e-5)
        #expect(w.max() == 1)
        var num = [Double](repeating: 0, count: 6 * 12 * 20), den = num
        for (i, st) in starts.enumerated() {
            let q = 1 / (1 + _exp(-Double(logit(i))))
            for zz in 0..<4 { for yy in 0..<8 { for xx in 0..<8 {
                let v = ((st[0] + zz) * 12 + st[1] + yy) * 20 + st[2] + xx, wt = Double(w[(zz * 8 + yy) * 8 + xx])
                num[v] += wt * q; den[v] += wt
            } } }
        }
        let expected = zip(num, den).map { Float($0 / $1) }
        expectClose(Array(p.scalars[(6 * 12 * 20)...]), expected, atol: 1e-5)
    }

    @Test func flipIsAnInvolution() {
        var rng = RNG(seed: 1)
        let t = Tensor.uniform([2, 1, 3, 4, 5], 0, 1, rng: &rng)
        #expect(SlidingWindow.flip(SlidingWindow.flip(t, axes: [2, 4]), axes: [2, 4]).scalars == t.scalars)
        #expect(SlidingWindow.flip(t, axes: [4])[0, 0, 0, 0, 0] == t[0, 0, 0, 0, 4])
    }
}
