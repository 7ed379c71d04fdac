import Engine
import Foundation
import TestSupport
import Testing

/// The fused softmax cross-entropy against the composite ops it replaces (log-softmax, one-hot product, class sum,
/// weighted mean), against finite differences, and on its edge cases.
@Suite("Fused softmax cross-entropy")
struct SoftmaxCrossEntropyTests {
    static func logits(_ shape: [Int], seed: UInt64, spread: Float = 4) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.uniform(shape, -spread, spread, rng: &rng)
    }

    static func target(_ logitShape: [Int], seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        let shape = [logitShape[0]] + logitShape.dropFirst(2)
        return Tensor((0..<shape.reduce(1, *)).map { _ in Float(rng.int(below: logitShape[1])) }, shape: shape)
    }

    /// [N, K, *sp] one-hot of a [N, *sp] target.
    static func oneHot(_ t: Tensor, classes k: Int) -> Tensor {
        let n = t.shape[0], s = t.count / n
        var out = [Float](repeating: 0, count: n * k * s)
        let v = t.scalars
        for b in 0..<n { for j in 0..<s { out[(b * k + Int(v[b * s + j])) * s + j] = 1 } }
        return Tensor(out, shape: [n, k] + t.shape.dropFirst())
    }

    /// The composite the fused op replaces: per-voxel NLL = -(logSoftmax · onehot) summed over classes.
    static func compositeNLL(_ x: Tensor, _ t: Tensor) -> Tensor {
        -(x.logSoftmax(axis: 1) * oneHot(t, classes: x.shape[1])).sum(axes: [1])
    }

    /// The composite weighted mean: Σ w·nll / Σ w (0 when Σ w = 0), or the plain mean. Σ w is taken in double, as the
    /// fused op does: `Losses.crossEntropy` used to add the weights up in Float one by one, which drifted by 1e-4
    /// relative over 25600 voxels of weights 0.3 and 1.
    static func compositeLoss(_ x: Tensor, _ t: Tensor, classWeights: [Float]?, mask: Tensor?) -> Tensor {
        let nll = compositeNLL(x, t)
        if classWeights == nil && mask == nil { return nll.mean() }
        var w = [Float](repeating: 1, count: t.count)
        let tv = t.scalars
        if let classWeights { for i in w.indices { w[i] = classWeights[Int(tv[i])] } }
        if let mask { for (i, m) in mask.scalars.enumerated() { w[i] *= m } }
        let total = Float(w.reduce(0.0) { $0 + Double($1) })
        return (nll * Tensor(w, shape: t.shape)).sum() * (total > 0 ? 1 / total : 0)
    }

    static func fusedLoss(_ x: Tensor, _ t: Tensor, classWeights: [Float]?, mask: Tensor?) -> Tensor {
        let scale: Float? = classWeights == nil && mask == nil ? 1 / Float(t.count) : nil
        return x.softmaxCrossEntropy(target: t, classWeights: classWeights, voxelWeights: mask, scale: scale)
    }

    /// Shapes: a 16-lane tail (S = 35), two classes over several 4096-position rows and worker chunks (3D), five classes.
    static let shapes: [[Int]] = [[2, 3, 5, 7], [2, 2, 8, 40, 40], [3, 5, 33, 21], [1, 1, 9]]

    @Test(arguments: shapes)
    func matchesCompositeLossAndGradient(_ shape: [Int]) {
        let k = shape[1]
        let t = Self.target(shape, seed: 2)
        var rng = RNG(seed: 3)
        let mask = Tensor(t.scalars.map { _ in Float(rng.int(below: 3) == 0 ? 0 : 1) }, shape: t.shape)
        let weights = (0..<k).map { Float($0) * 0.7 + 0.3 }
        for (cw, m) in [(nil, nil), (weights, nil), (nil, mask), (weights, mask)] as [([Float]?, Tensor?)] {
            let label = "\(shape) weights \(cw != nil) mask \(m != nil)"
            let xa = Self.logits(shape, seed: 1).requiringGrad(), xb = Self.logits(shape, seed: 1).requiringGrad()
            let fused = Self.fusedLoss(xa, t, classWeights: cw, mask: m)
            let composite = Self.compositeLoss(xb, t, classWeights: cw, mask: m)
            #expect(fused.shape == [])
            #expect(abs(fused.item - composite.item) <= 1e-6 * abs(composite.item), "\(label): \(fused.item) vs \(composite.item)")
            fused.backward()
            composite.backward()
            let ga = xa.grad?.scalars ?? [], gb = xb.grad?.scalars ?? []
            let scale = gb.map(abs).max() ?? 1
            expectClose(ga, gb, atol: 1e-6 * scale, rtol: 1e-5, "\(label) gradient")
        }
    }

    @Test(arguments: shapes)
    func perVoxelMatchesComposite(_ shape: [Int]) {
        let t = Self.target(shape, seed: 5)
        let xa = Self.logits(shape, seed: 4).requiringGrad(), xb = Self.logits(shape, seed: 4).requiringGrad()
        let fused = xa.softmaxCrossEntropyPerVoxel(target: t), composite = Self.compositeNLL(xb, t)
        #expect(fused.shape == t.shape)
        expectClose(fused, composite, atol: 1e-6, rtol: 1e-6, "\(shape) per-voxel NLL")
        var rng = RNG(seed: 6)
        let r = Tensor.uniform(t.shape, -1, 1, rng: &rng)
        (fused * r).sum().backward()
        (composite * r).sum().backward()
        expectClose(xa.grad?.scalars ?? [], xb.grad?.scalars ?? [], atol: 1e-6, rtol: 1e-5, "\(shape) per-voxel gradient")
    }

    @Test func finiteDifferences() {
        let shape = [2, 3, 4, 5]
        let t = Self.target(shape, seed: 8)
        var rng = RNG(seed: 9)
        let mask = Tensor(t.scalars.map { _ in Float(rng.int(below: 2)) }, shape: t.shape)
        let x = Self.logits(shape, seed: 7, spread: 2)
        checkGradients([x], eps: 1e-2, atol: 1e-4, rtol: 1e-2, "weighted mean") { xs in
            xs[0].softmaxCrossEntropy(target: t, classWeights: [0.5, 2, 1], voxelWeights: mask)
        }
        checkGradients([Self.logits(shape, seed: 10, spread: 2)], eps: 1e-2, atol: 1e-4, rtol: 1e-2, "per voxel") { xs in
            xs[0].softmaxCrossEntropyPerVoxel(target: t)
        }
    }

    @Test func everythingMaskedIsZeroWithZeroGradient() {
        let shape = [2, 3, 17]
        let x = Self.logits(shape, seed: 11).requiringGrad()
        let loss = x.softmaxCrossEntropy(target: Self.target(shape, seed: 12), voxelWeights: Tensor(zeros: [2, 17]))
        #expect(loss.item == 0)
        loss.backward()
        #expect((x.grad?.scalars ?? [1]).allSatisfy { $0 == 0 })
    }

    @Test func extremeLogitsStayFinite() {
        // Confident and hopeless voxels: margins of ±80 and ±200 (exp underflows; log-sum-exp must not).
        let x = Tensor([80, -80, 200, 0, 0, -200, 0, 0], shape: [1, 2, 4])
        let t = Tensor([0, 0, 1, 0], shape: [1, 4])
        let nll = x.softmaxCrossEntropyPerVoxel(target: t).scalars
        let expected: [Float] = [0, 0, 200, 0.6931472]
        for (a, b) in zip(nll, expected) { #expect(abs(a - b) <= 1e-5 * Swift.max(1, abs(b)), "\(nll) vs \(expected)") }
        let nan = Tensor([Float.nan, 0, 1, 2], shape: [1, 2, 2]).softmaxCrossEntropyPerVoxel(target: Tensor([0, 1], shape: [1, 2]))
        #expect(nan.scalars[0].isNaN, "a NaN logit must give a NaN loss, got \(nan.scalars)")
    }

    @Test func noGradientWorkWithoutRecording() {
        let shape = [2, 2, 40]
        let x = Self.logits(shape, seed: 13).requiringGrad()
        let loss = withNoGrad { x.softmaxCrossEntropy(target: Self.target(shape, seed: 14), scale: 1 / 80) }
        #expect(!loss.requiresGrad)
        let plain = Self.logits(shape, seed: 13).softmaxCrossEntropy(target: Self.target(shape, seed: 14), scale: 1 / 80)
        #expect(loss.item == plain.item)
    }

    @Test func outOfRangeTargetTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor(zeros: [1, 2, 3]).softmaxCrossEntropy(target: Tensor([0, 2, 1], shape: [1, 3]))
        }
        await #expect(processExitsWith: .failure) {
            _ = Tensor(zeros: [1, 2, 3]).softmaxCrossEntropyPerVoxel(target: Tensor([0, .nan, 1], shape: [1, 3]))
        }
    }
}
