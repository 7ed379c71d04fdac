import Engine
import Foundation
import NN
import Testing
@testable import CPSPlugin
@testable import Training

@Suite("CPS", .serialized)
struct CPSTests {
    @Test func optionsAreValidated() {
        #expect(throws: ConfigError.self) { try CPS(options: StrategyOptions(["predict-with": "both"], owner: "cps")) }
        #expect(throws: ConfigError.self) { try CPS(options: StrategyOptions(["weight": "-1"], owner: "cps")) }
    }

    /// The loss is symmetric in the two networks, and each network's gradient comes only from its own prediction.
    @Test func crossLossIsSymmetricAndGradientsStayWithTheirNetwork() {
        var rng = RNG(seed: 4)
        let a = Tensor.randn([2, 3, 4, 4], rng: &rng, requiresGrad: true), b = Tensor.randn([2, 3, 4, 4], rng: &rng, requiresGrad: true)
        let (ab, ba) = CPS.crossTerms(a, b)
        let (ba2, ab2) = CPS.crossTerms(b, a)
        #expect(ab.item == ab2.item && ba.item == ba2.item, "swapping the networks swaps the terms")
        ab.backward()       // CE(a, argmax b): only a learns
        #expect(a.grad.map { $0.scalars.contains { $0 != 0 } } == true)
        #expect(b.grad.map { $0.scalars.allSatisfy { $0 == 0 } } ?? true, "b's pseudo-labels carry no gradient")
        a.zeroGrad(); b.zeroGrad()
        ba.backward()
        #expect(b.grad.map { $0.scalars.contains { $0 != 0 } } == true)
        #expect(a.grad.map { $0.scalars.allSatisfy { $0 == 0 } } ?? true)
        // Identical predictions: both terms are the plain self-entropy of the hard label, equal to each other.
        let (s1, s2) = CPS.crossTerms(a.detached(), a.detached())
        #expect(s1.item == s2.item)
    }

    @Test func bothNetworksTrainWithTheirOwnOptimizerAndDiffer() throws {
        let dir = tempRunDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try CPS(options: StrategyOptions(["predict-with": "mean"], owner: "cps"))
        let t = try strategyTrainer(s, dir: dir)
        try s.willStartRun(t.run)
        let netB = try #require(s.second.network)
        let b0 = netB.parameters().flatMap { $0.scalars }
        #expect(b0 != t.run.model.parameters().flatMap { $0.scalars }, "different initialisations")
        _ = try t.train()
        #expect(netB.parameters().flatMap { $0.scalars } != b0, "the second network was updated")
        #expect(s.second.optimizer?.stepCount == 6, "one step of its own optimizer per trainer step")
        let image = toyStore().validation[0].image
        let mean = try #require(try s.predict(image, t.run)).probabilities.scalars
        let pa = t.run.plainProbabilities(image).scalars, pb = try s.second.probabilities(image, t.run).scalars
        for i in stride(from: 0, to: mean.count, by: 97) { #expect(abs(mean[i] - (pa[i] + pb[i]) / 2) < 1e-6) }
    }

    @Test func resumesBitExactly() throws {
        #expect(try resumesExactly { try CPS(options: StrategyOptions([:], owner: "cps")) })
    }
}
