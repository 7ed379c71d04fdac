import Engine
import TestSupport
import Testing

/// The fused soft-Dice sums against the composite ops (softmax, one-hot, mask products, spatial sums) and finite
/// differences.
@Suite("Fused soft-Dice sums")
struct SoftmaxDiceTests {
    typealias CE = SoftmaxCrossEntropyTests

    /// The composite: [2, N, K] of Σ (p·m)(y·m) and Σ p·m, and [N, K] of Σ y·m.
    static func composite(_ x: Tensor, _ t: Tensor, mask: Tensor?) -> (Tensor, Tensor) {
        let n = x.shape[0], k = x.shape[1]
        var p = x.softmax(axis: 1), y = CE.oneHot(t, classes: k)
        if let mask {
            let m = mask.reshaped([n, 1] + mask.shape.dropFirst())
            p = p * m
            y = y * m
        }
        let axes = Array(2..<x.rank)
        let tp = (p * y).sum(axes: axes), ps = p.sum(axes: axes), ys = y.sum(axes: axes)
        return (Tensor.concat([tp.reshaped([1, n, k]), ps.reshaped([1, n, k])], axis: 0), ys)
    }

    @Test(arguments: CE.shapes)
    func matchesComposite(_ shape: [Int]) {
        let t = CE.target(shape, seed: 21)
        var rng = RNG(seed: 22)
        let mask = Tensor(t.scalars.map { _ in Float(rng.int(below: 3) == 0 ? 0 : 1) }, shape: t.shape)
        for m in [nil, mask] as [Tensor?] {
            let xa = CE.logits(shape, seed: 20).requiringGrad(), xb = CE.logits(shape, seed: 20).requiringGrad()
            let (fused, ys) = xa.softmaxDiceSums(target: t, voxelWeights: m)
            let (comp, ysRef) = Self.composite(xb, t, mask: m)
            #expect(fused.shape == [2, shape[0], shape[1]])
            expectClose(fused, comp, atol: 1e-6, rtol: 1e-5, "\(shape) mask \(m != nil) sums")
            #expect(ys.scalars == ysRef.scalars, "\(shape) target sums")
            let r = Tensor.uniform(fused.shape, -1, 1, rng: &rng)
            (fused * r).sum().backward()
            (comp * r).sum().backward()
            let gb = xb.grad?.scalars ?? []
            expectClose(xa.grad?.scalars ?? [], gb, atol: 1e-6 * (gb.map(abs).max() ?? 1), rtol: 1e-5, "\(shape) mask \(m != nil) gradient")
        }
    }

    @Test func finiteDifferences() {
        let shape = [2, 3, 4, 5]
        let t = CE.target(shape, seed: 23)
        var rng = RNG(seed: 24)
        let mask = Tensor(t.scalars.map { _ in Float(rng.int(below: 2)) }, shape: t.shape)
        checkGradients([CE.logits(shape, seed: 25, spread: 2)], eps: 1e-2, atol: 1e-4, rtol: 1e-2, "dice sums") { xs in
            xs[0].softmaxDiceSums(target: t, voxelWeights: mask).sums
        }
    }
}
