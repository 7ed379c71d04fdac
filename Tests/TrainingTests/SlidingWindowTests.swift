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

    @Test func flipIsAnInvolution() {
        var rng = RNG(seed: 1)
        let t = Tensor.uniform([2, 1, 3, 4, 5], 0, 1, rng: &rng)
        #expect(SlidingWindow.flip(SlidingWindow.flip(t, axes: [2, 4]), axes: [2, 4]).scalars == t.scalars)
        #expect(SlidingWindow.flip(t, axes: [4])[0, 0, 0, 0, 0] == t[0, 0, 0, 0, 4])
    }
}
