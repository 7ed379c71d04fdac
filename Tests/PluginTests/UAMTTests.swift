import Engine
import Foundation
import NN
import Testing
@testable import UAMTPlugin
@testable import Training

@Suite("UAMT", .serialized)
struct UAMTTests {
    @Test func optionsAreValidated() {
        #expect(throws: ConfigError.self) { try UAMT(options: StrategyOptions(["passes": "0"], owner: "ua-mt")) }
        #expect(throws: ConfigError.self) { try UAMT(options: StrategyOptions(["threshold-start": "0.9", "threshold-end": "0.8"], owner: "ua-mt")) }
    }

    @Test func thresholdRampsFromThreeQuartersToOneTimesLnK() throws {
        let s = try UAMT(options: StrategyOptions([:], owner: "ua-mt"))
        #expect(abs(s.threshold(progress: 0, classes: 2) - (0.75 + 0.25 * exp(-5)) * log(2.0)) < 1e-12)
        #expect(abs(s.threshold(progress: 1, classes: 2) - log(2.0)) < 1e-12)
        #expect(abs(s.threshold(progress: 1, classes: 4) - log(4.0)) < 1e-12)
    }

    /// T noisy teacher predictions that disagree more and more: the entropy of their mean grows and the consistency
    /// mask keeps fewer voxels.
    @Test func maskShrinksAsUncertaintyGrows() {
        var rng = RNG(seed: 9)
        var kept: [Float] = []
        for spread: Float in [0, 0.5, 1, 2, 4] {
            let samples = (0..<8).map { _ -> Tensor in
                // Logits: class 1 favoured by 2 on every voxel, plus disagreement of size `spread` per pass.
                var l = [Float](repeating: 0, count: 2 * 64)
                for i in 0..<64 { l[64 + i] = 2 + spread * rng.normal() }
                return Tensor(l, shape: [1, 2, 8, 8]).softmax(axis: 1)
            }
            let h = UAMT.uncertainty(samples)
            let m = UAMT.mask(uncertainty: h, threshold: 0.75 * log(2.0))
            kept.append(m.scalars.reduce(0, +))
        }
        #expect(kept.first == 64, "agreeing passes are all certain enough")
        #expect(zip(kept, kept.dropFirst()).allSatisfy { $0 >= $1 } && kept.last! < kept.first!, "kept \(kept)")
    }

    @Test func consistencyCountsOnlyMaskedVoxels() {
        let student = Tensor([0, 0, 0, 0, 1, 1, 1, 1], shape: [1, 2, 1, 4], requiresGrad: true)
        let target = Tensor([1, 1, 1, 1, 0, 0, 0, 0], shape: [1, 2, 1, 4])
        let mask = Tensor([1, 0, 1, 0], shape: [1, 1, 4])
        let loss = UAMT.consistency(studentLogits: student, target: target, mask: mask)
        let p1 = 1 / (1 + exp(Float(-1)))   // softmax class-1 probability
        // Per kept voxel: (p0 - 1)^2 + (p1 - 0)^2 = 2 p1^2; sum over 2 voxels / (K = 2 * 2 voxels).
        #expect(abs(loss.item - 2 * 2 * p1 * p1 / 4) < 1e-6)
        loss.backward()
        let g = student.grad!.scalars
        #expect(g[1] == 0 && g[3] == 0 && g[5] == 0 && g[7] == 0 && g[0] != 0)
    }

    @Test func teacherFollowsTheStudentByEMA() throws {
        let dir = tempRunDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try UAMT(options: StrategyOptions(["passes": "2"], owner: "ua-mt"))
        #expect(s.decay(step: 1) == 0 && s.decay(step: 10) == 0.9 && s.decay(step: 1000) == 0.99)
        let t = try strategyTrainer(s, dir: dir)
        _ = try t.train()
        let teacher = try #require(s.teacher.network)
        #expect(teacher.parameters().flatMap { $0.scalars } != t.run.model.parameters().flatMap { $0.scalars })
        let csv = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(csv.contains("uamt_kept") && csv.contains("uamt_threshold"))
    }

    @Test func resumesBitExactly() throws {
        #expect(try resumesExactly { try UAMT(options: StrategyOptions(["passes": "2"], owner: "ua-mt")) })
    }
}
