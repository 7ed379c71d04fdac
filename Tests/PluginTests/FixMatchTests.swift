import Engine
import Foundation
import NN
import Testing
@testable import FixMatchPlugin
@testable import Training

@Suite("FixMatch", .serialized)
struct FixMatchTests {
    @Test func optionsAreValidated() {
        #expect(throws: ConfigError.self) { try FixMatch(options: StrategyOptions(["threshold": "1.5"], owner: "fixmatch")) }
        #expect(throws: ConfigError.self) { try FixMatch(options: StrategyOptions(["lambda": "1"], owner: "fixmatch")) }
        let d = try? FixMatch(options: StrategyOptions([:], owner: "fixmatch"))
        #expect(d?.threshold == 0.95 && d?.weight == 1)
    }

    /// Two voxels confident (p = 0.99 and 0.96), two not (0.9, 0.6): only the first two get pseudo-labels, and the
    /// strong view's loss has no gradient at the others.
    @Test func voxelsBelowTheThresholdAreIgnored() {
        // Logits [1, 2, 1, 4]: class-1 probability sigmoid(l1 - l0).
        let p: [Float] = [0.99, 0.04, 0.9, 0.4]   // class-1 probabilities; confidences 0.99, 0.96, 0.9, 0.6
        let l1 = p.map { logf($0 / (1 - $0)) }
        let weak = Tensor([0, 0, 0, 0] + l1, shape: [1, 2, 1, 4])
        let (labels, mask, kept) = FixMatch.pseudoLabels(weak, threshold: 0.95)
        #expect(labels.scalars == [1, 0, 1, 0])
        #expect(mask.scalars == [1, 1, 0, 0] && kept == 2)
        let strong = Tensor([Float](repeating: 0.3, count: 8), shape: [1, 2, 1, 4], requiresGrad: true)
        let loss = FixMatch.unlabeledLoss(strongLogits: strong, labels: labels, mask: mask)
        loss.backward()
        let g = strong.grad!.scalars
        #expect(g[0] != 0 && g[1] != 0 && g[4] != 0 && g[5] != 0, "confident voxels train the strong view")
        #expect(g[2] == 0 && g[3] == 0 && g[6] == 0 && g[7] == 0, "voxels below the threshold are ignored")
        // Mean over all 4 voxels (FixMatch / UniMatch), not over the kept ones.
        let ce = Losses.voxelCrossEntropy(strong, labels).scalars
        #expect(abs(loss.item - (ce[0] + ce[1]) / 4) < 1e-6)
        // Threshold 0: every voxel counts.
        #expect(FixMatch.pseudoLabels(weak, threshold: 0).kept == 4)
    }

    @Test func trainsThroughTheTrainerAndRecordsTheKeptFraction() throws {
        let dir = tempRunDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try FixMatch(options: StrategyOptions(["threshold": "0.5"], owner: "fixmatch"))
        let t = try strategyTrainer(s, dir: dir)
        _ = try t.train()
        let csv = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(csv.contains("fixmatch_kept") && csv.contains("fixmatch_loss"))
    }

    @Test func resumesBitExactly() throws {
        #expect(try resumesExactly { try FixMatch(options: StrategyOptions(["threshold": "0.6"], owner: "fixmatch")) })
    }
}
