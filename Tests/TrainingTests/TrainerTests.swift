import Engine
import Foundation
import NN
import TestSupport
import Testing
@testable import Training

/// A strategy defined entirely inside the test target: it counts hook calls and adds a small L2 penalty.
final class CountingStrategy: Strategy {
    static let name = "counting"
    static let summary = "test strategy counting hook calls"
    let weight: Double
    var steps = 0, epochs = 0, runs = 0, extraLosses = 0
    init(options: StrategyOptions) throws {
        weight = options.double("weight", default: 0, in: 0...1)
        try options.finish()
    }
    var wantsUnlabeledBatch: Bool { true }
    func willStartRun(_ run: RunContext) throws { runs += 1 }
    func additionalLoss(_ step: StepContext) throws -> Tensor? {
        #expect(step.unlabeledImages != nil)
        extraLosses += 1
        guard weight > 0 else { return nil }
        return step.logits.squared().mean() * Float(weight)
    }
    func didFinishStep(_ run: RunContext, _ step: StepContext) throws { steps += 1 }
    func didFinishEpoch(_ run: RunContext) throws -> TrainingControl { epochs += 1; return .continue }
}

func toyConfig(_ dir: URL, epochs: Int = 3) -> TrainConfig {
    var c = TrainConfig(data: "(memory)", out: dir.path)
    c.model = "unet2d"; c.base = 4; c.depth = 2; c.epochs = epochs; c.iterationsPerEpoch = 4; c.batchSize = 2
    c.augmentation = .none; c.normalization = .none; c.learningRate = 3e-3
    return c
}

func tempRunDir() -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("semiseg-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
}

@Suite("Trainer", .serialized)
struct TrainerTests {
    func store() -> CaseStore {
        CaseStore(labeled: toyCases(4, seed: 1), unlabeled: toyCases(4, seed: 2), validation: toyCases(2, seed: 3), test: [])
    }
    let split = DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: [])

    @Test func hooksRunAndArtifactsAreWritten() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let s = try CountingStrategy(options: StrategyOptions(["weight": "0.01"], owner: "counting"))
        let t = try Trainer(config: toyConfig(dir), strategy: s, data: store(), split: split, runDirectory: dir, log: { _ in })
        let r = try t.train()
        #expect(s.runs == 1 && s.epochs == 3 && s.steps == 12 && s.extraLosses == 12)
        #expect(r.epochs == 3 && r.bestValidationDice != nil)
        let csv = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 4)
        #expect(csv.hasPrefix("epoch,loss,supervised_loss,lr,val_dice,val_dice_ema,val_loss,seconds"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints/last.safetensors").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints/best.safetensors").path))
    }

    @Test func unknownStrategyOptionIsRejected() {
        #expect(throws: ConfigError.self) { try CountingStrategy(options: StrategyOptions(["wieght": "1"], owner: "counting")) }
        #expect(throws: ConfigError.self) { try CountingStrategy(options: StrategyOptions(["weight": "7"], owner: "counting")) }
    }

    @Test func sameSeedSameLossCurveAndResumeIsExact() throws {
        func runOnce(epochs: Int, dir: URL, resume: Bool) throws -> (String, [Float]) {
            let s = try CountingStrategy(options: StrategyOptions([:], owner: "counting"))
            var cfg = toyConfig(dir, epochs: epochs)
            cfg.augmentation = .standard
            let t = try Trainer(config: cfg, strategy: s, data: store(), split: split, runDirectory: dir, log: { _ in })
            _ = try t.train(resume: resume)
            let csv = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8)
            let losses = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[1] }.joined(separator: ",")
            return (losses, t.run.model.parameters().flatMap { $0.scalars })
        }
        let a = tempRunDir(), b = tempRunDir(), c = tempRunDir()
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(at: d) } }
        let full = try runOnce(epochs: 4, dir: a, resume: false)
        let again = try runOnce(epochs: 4, dir: b, resume: false)
        #expect(full.0 == again.0, "identical loss curve for one seed")
        #expect(full.1 == again.1)
        _ = try runOnce(epochs: 2, dir: c, resume: false)
        let resumed = try runOnce(epochs: 4, dir: c, resume: true)
        #expect(resumed.0 == full.0, "resumed run continues the same loss curve")
        #expect(resumed.1 == full.1, "resumed run ends with identical weights")
    }
}
