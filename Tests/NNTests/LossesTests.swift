import Engine
import Foundation
@testable import NN
import Testing
import TestSupport

extension NNTests {
    /// Loss values and logit gradients against PyTorch (constants: scripts/reference/nn_reference.py, gen_losses).
    @Suite("Losses")
    struct LossesTests {
        struct Ref {
            let logits: Tensor, target: Tensor, mask: Tensor, weights: [Float], q: Tensor, other: Tensor
            let cases: [String: (loss: Float, grad: [Float])]
        }

        func reference() throws -> Ref {
            let j = try Fixtures.json("losses.json")
            let shape = (j["shape"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.intValue }
            let sp = [shape[0]] + shape.dropFirst(2)
            var cases: [String: (Float, [Float])] = [:]
            for (k, v) in j["cases"] as? [String: Any] ?? [:] {
                let d = v as? [String: Any] ?? [:]
                cases[k] = ((d["loss"] as? NSNumber)?.floatValue ?? .nan, floats(d["grad"]))
            }
            return Ref(logits: Tensor(floats(j["logits"]), shape: shape), target: Tensor(floats(j["target"]), shape: sp),
                       mask: Tensor(floats(j["mask"]), shape: sp), weights: floats(j["weights"]), q: Tensor(floats(j["q"]), shape: shape),
                       other: Tensor(floats(j["other"]), shape: shape), cases: cases)
        }

        func check(_ name: String, _ r: Ref, _ f: (Tensor) -> Tensor, sourceLocation: SourceLocation = #_sourceLocation) {
            guard let c = r.cases[name] else { Issue.record("no case \(name)", sourceLocation: sourceLocation); return }
            let l = r.logits.copy().requiringGrad()
            let loss = f(l)
            #expect(loss.shape == [], sourceLocation: sourceLocation)
            #expect(abs(loss.item - c.loss) <= 1e-5 + 1e-5 * abs(c.loss), "\(name): \(loss.item) vs \(c.loss)", sourceLocation: sourceLocation)
            loss.backward()
            expectClose(l.grad?.scalars ?? [], c.grad, atol: 1e-6, rtol: 1e-4, "\(name) gradient", sourceLocation: sourceLocation)
        }

        @Test func crossEntropyVariants() throws {
            let r = try reference()
            check("ce", r) { Losses.crossEntropy($0, r.target) }
            check("ce_weighted", r) { Losses.crossEntropy($0, r.target, classWeights: r.weights) }
            check("ce_masked", r) { Losses.crossEntropy($0, r.target, mask: r.mask) }
            check("ce_weighted_masked", r) { Losses.crossEntropy($0, r.target, classWeights: r.weights, mask: r.mask) }
        }

        @Test func diceAndTopK() throws {
            let r = try reference()
            check("dice", r) { Losses.softDice($0, r.target, includeBackground: true, smooth: 1e-5) }
            check("dice_nobg_batch", r) { Losses.softDice($0, r.target, includeBackground: false, smooth: 1, batchDice: true) }
            check("dice_ce", r) { Losses.diceCrossEntropy($0, r.target) }
            check("topk10", r) { Losses.topKCrossEntropy($0, r.target, percent: 10) }
            check("topk25", r) { Losses.topKCrossEntropy($0, r.target, percent: 25) }
        }

        @Test func consistencyLosses() throws {
            let r = try reference()
            check("mse_softmax", r) { Losses.mse($0.softmax(axis: 1), r.q) }
            check("mse", r) { Losses.mse($0, r.other) }
            check("kl", r) { Losses.klDivergence(logits: $0, target: r.q) }
        }

        @Test func oneHotAndEdgeCases() {
            let t = Tensor([0, 2, 1, 2], shape: [1, 4])
            #expect(Losses.oneHot(t, classes: 3).scalars == [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1])
            #expect(Losses.oneHot(t, classes: 3).shape == [1, 3, 4])
            let logits = Tensor(zeros: [1, 3, 4]).requiringGrad()
            let empty = Losses.crossEntropy(logits, t, mask: Tensor(zeros: [1, 4]))
            #expect(empty.item == 0)
            // A perfect prediction has (near) zero Dice loss.
            let perfect = Losses.oneHot(t, classes: 3) * 30
            #expect(Losses.softDice(perfect, t).item < 1e-4)
        }
    }
}
