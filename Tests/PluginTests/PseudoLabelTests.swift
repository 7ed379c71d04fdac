import Engine
import Foundation
import NN
@testable import PseudoLabelPlugin
import SupervisedPlugin
import Testing
@testable import Training

/// Forwards every hook to `inner` and throws at the start of epoch `crashAt` (a simulated crash; used by the
/// resume tests of several plugins).
final class Crashing: Strategy {
    static let name = "crashing"
    static let summary = "test wrapper"
    let inner: any Strategy
    let crashAt: Int
    init(options: StrategyOptions) throws { fatalError("unused") }
    init(_ inner: any Strategy, crashAt: Int) { self.inner = inner; self.crashAt = crashAt }
    var wantsUnlabeledBatch: Bool { inner.wantsUnlabeledBatch }
    func willStartRun(_ run: RunContext) throws { try inner.willStartRun(run) }
    func willStartEpoch(_ run: RunContext) throws {
        if run.epoch == crashAt { throw TrainingError("simulated crash") }
        try inner.willStartEpoch(run)
    }
    func supervisedLoss(_ step: StepContext) throws -> Tensor? { try inner.supervisedLoss(step) }
    func additionalLoss(_ step: StepContext) throws -> Tensor? { try inner.additionalLoss(step) }
    func didFinishStep(_ run: RunContext, _ step: StepContext) throws { try inner.didFinishStep(run, step) }
    func didFinishEpoch(_ run: RunContext) throws -> TrainingControl { try inner.didFinishEpoch(run) }
    func stateDict() -> [String: Tensor] { inner.stateDict() }
    func load(stateDict: [String: Tensor]) throws { try inner.load(stateDict: stateDict) }
}

/// Collects log lines.
final class LogLines { var items: [String] = [] }

@Suite("Pseudo-label plugin")
struct PseudoLabelTests {
    func make(_ opts: [String: String]) throws -> PseudoLabel { try PseudoLabel(options: StrategyOptions(opts, owner: "pseudo-label")) }

    /// A finished supervised toy run with the files `TrainedRun.load` reads.
    func teacherRun(normalization: NormalizationChoice = .none) throws -> URL {
        let dir = tempRunDir()
        let cfg = toyConfig(dir)
        let t = try Trainer(config: cfg, strategy: try Supervised(options: StrategyOptions([:], owner: "supervised")),
                            data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        _ = try t.train()
        try cfg.save(dir.appendingPathComponent("config.json"))
        let store = toyStore()
        try DataSplit(seed: 0, labeled: store.labeled.map(\.id), unlabeled: store.unlabeled.map(\.id), validation: store.validation.map(\.id), test: [])
            .save(dir.appendingPathComponent("split.json"))
        try Preprocessing(resize: nil, spacing: nil, normalization: normalization, ct: nil, huWindow: nil, classes: 2, channels: 1, labelNames: [:])
            .save(dir.appendingPathComponent("preprocessing.json"))
        return dir
    }

    @Test func validatesOptions() {
        for bad in [["rounds": "2"], ["labeled-share": "0.5"], ["teacher": "/x", "weight": "0.5"], ["teacher": "/x", "ramp-up": "0.1"], ["threshold": "1.5"], ["teacher": ""], ["round": "2"]] {
            #expect(throws: ConfigError.self, "\(bad)") { try make(bad) }
        }
        #expect(throws: Never.self) { try make(["teacher": "/x", "rounds": "3", "threshold": "0.8"]) }
    }

    @Test func pseudoLabelsRespectTheThreshold() {
        // Class-1 probabilities of 4 voxels: 0.95, 0.2, 0.5, 0.05 -> labels 1, 0, 0, 0; confidences .95 .8 .5 .95.
        let p1: [Float] = [0.95, 0.2, 0.5, 0.05]
        let probs = Tensor(p1.map { 1 - $0 } + p1, shape: [1, 2, 1, 4])
        let r = PseudoLabels.make(probabilities: probs, threshold: 0.9)
        #expect(r.labels.scalars == [1, 0, 0, 0])
        #expect(r.mask.scalars == [1, 0, 0, 1])
        #expect(r.kept == 0.5)
        #expect(PseudoLabels.make(probabilities: probs, threshold: 0).mask.scalars == [1, 1, 1, 1])
        let packed = PseudoLabels.encode(labels: r.labels, mask: r.mask)
        #expect(packed.scalars == [1, -1, -1, 0])
        let back = PseudoLabels.decode(packed)
        #expect(back.labels.scalars == [1, 0, 0, 0] && back.mask.scalars == r.mask.scalars)
    }

    @Test func classBalancedSelectionKeepsThePortionOfEachClass() throws {
        // Predicted class 1 at confidences .95 and .6, class 0 at .8 and .55: half of each class is kept.
        let p1: [Float] = [0.95, 0.6, 0.2, 0.45]
        let probs = Tensor(p1.map { 1 - $0 } + p1, shape: [1, 2, 1, 4])
        let thr = PseudoLabels.classThresholds([probs], portion: 0.5)
        #expect(abs(thr[0] - 0.8) < 1e-6 && abs(thr[1] - 0.95) < 1e-6)
        let r = PseudoLabels.make(probabilities: probs, thresholds: thr)
        #expect(r.labels.scalars == [1, 1, 0, 0] && r.mask.scalars == [1, 0, 1, 0])
        #expect(PseudoLabels.classThresholds([probs], portion: 1).map { $0 <= 0.6 } == [true, true])
        #expect(throws: ConfigError.self) { try make(["portion": "0.5", "threshold": "0.9"]) }
        // Offline labelling pools the cases.
        let pl = try make(["teacher": "/x", "portion": "0.5"])
        let cases = pl.label([probs.reshaped([2, 1, 1, 4])])
        #expect(cases[0].mask.scalars == [1, 0, 1, 0])
    }

    @Test func onlineLossIgnoresLowConfidenceVoxels() throws {
        let pl = try make(["threshold": "0.9"])
        // Logit margins 3 (p ~ 0.95), 1 (0.73), -0.5 (0.62), -4 (0.98) for class 1 over class 0.
        let margins: [Float] = [3, 1, -0.5, -4]
        let logits = Tensor([0, 0, 0, 0] + margins, shape: [1, 2, 1, 4], requiresGrad: true)
        let (loss, kept) = pl.onlineLoss(logits: logits)
        #expect(kept == 0.5)
        // Expected: (CE of voxel 0 with label 1 + CE of voxel 3 with label 0) / 4 voxels.
        let ce0 = log(1 + exp(-3.0)), ce3 = log(1 + exp(-4.0))
        #expect(abs(Double(loss.item) - (ce0 + ce3) / 4) < 1e-6)
        loss.backward()
        let g = try #require(logits.grad).scalars
        #expect(g[1] == 0 && g[2] == 0 && g[5] == 0 && g[6] == 0, "ignored voxels get no gradient")
        #expect(g[0] != 0 && g[3] != 0)
    }

    @Test func onlineTrainsThroughTheTrainer() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let pl = try make(["threshold": "0.7"])
        #expect(pl.wantsUnlabeledBatch)
        let t = try Trainer(config: toyConfig(dir), strategy: pl, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        let r = try t.train()
        #expect(r.epochs == 2 && r.bestValidationDice != nil)
        let header = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")[0]
        #expect(header.contains("pl_loss") && header.contains("pl_mask_ratio"))
    }

    @Test func offlineAddsMaskedTeacherLabelsAndResumesExactly() throws {
        let teacher = try teacherRun(); defer { try? FileManager.default.removeItem(at: teacher) }
        let opts = ["teacher": teacher.path, "threshold": "0.8", "rounds": "2"]
        func trainer(_ dir: URL, _ s: any Strategy) throws -> Trainer {
            try Trainer(config: toyConfig(dir, epochs: 4), strategy: s, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        }
        let a = tempRunDir(), b = tempRunDir()
        defer { for d in [a, b] { try? FileManager.default.removeItem(at: d) } }
        // Full run: 4 epochs, the student re-labels at the start of epoch 3 (index 2).
        let plA = try make(opts)
        #expect(!plA.wantsUnlabeledBatch)
        let tA = try trainer(a, plA)
        _ = try tA.train()
        let pseudo = tA.run.data.labeled.filter { $0.id.hasPrefix("pseudo:") }
        #expect(pseudo.count == 4 && tA.run.data.labeled.count == 8)
        #expect(pseudo.allSatisfy { $0.mask != nil && $0.label != nil })
        // labeled-share 0.5 with 4 real and 4 pseudo cases: no repeats needed; 0.8: 4 x 4 = 16 real entries.
        for (share, total) in [("0.5", 8), ("0.8", 20)] {
            let pl = try make(["teacher": teacher.path, "labeled-share": share]); let d = tempRunDir()
            defer { try? FileManager.default.removeItem(at: d) }
            let t = try trainer(d, pl)
            try pl.willStartRun(t.run)
            #expect(t.run.data.labeled.count == total, "labeled-share \(share)")
        }
        #expect(plA.round == 1)
        // Teacher labels obey the threshold.
        let tr = try TrainedRun.load(teacher)
        let c0 = tA.run.data.unlabeled[0]
        let expected = PseudoLabels.forCase(probabilities: tr.probabilities(c0.image), threshold: 0.8)
        let plT = try make(opts); let dT = tempRunDir(); defer { try? FileManager.default.removeItem(at: dT) }
        let tT = try trainer(dT, plT)
        try plT.willStartRun(tT.run)
        let first = try #require(tT.run.data.labeled.first { $0.id == "pseudo:" + c0.id })
        #expect(first.label?.scalars == expected.labels.scalars && first.mask?.scalars == expected.mask.scalars)
        // Crash at the start of epoch index 3 (after round 1's labels were checkpointed), then resume.
        let tB1 = try trainer(b, Crashing(try make(opts), crashAt: 3))
        #expect(throws: TrainingError.self) { _ = try tB1.train() }
        let plB = try make(opts)
        let lines = LogLines()
        let tB2 = try Trainer(config: toyConfig(b, epochs: 4), strategy: plB, data: toyStore(), split: emptySplit, runDirectory: b, log: { lines.items.append($0) })
        _ = try tB2.train(resume: true)
        #expect(lines.items.contains { $0.contains("restored round 1 pseudo-labels") }, "round-1 labels come from the checkpoint")
        #expect(plB.round == 1)
        #expect(tB2.run.model.parameters().flatMap { $0.scalars } == tA.run.model.parameters().flatMap { $0.scalars },
                "resumed run ends with identical weights")
    }

    @Test func offlineRejectsAMismatchedTeacher() throws {
        let teacher = try teacherRun(normalization: .mri); defer { try? FileManager.default.removeItem(at: teacher) }
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let pl = try make(["teacher": teacher.path])
        let t = try Trainer(config: toyConfig(dir), strategy: pl, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        do { _ = try t.train(); Issue.record("expected a mismatch error") } catch let e as TrainingError {
            #expect(e.description.contains("normalization differs"))
        }
    }

    @Test func offlineRejectsATeacherTrainedOnTheStudentsTestCases() throws {
        let teacher = try teacherRun(); defer { try? FileManager.default.removeItem(at: teacher) }
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let store = toyStore()
        let split = DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: [store.labeled[0].id])
        let t = try Trainer(config: toyConfig(dir), strategy: try make(["teacher": teacher.path]), data: store, split: split, runDirectory: dir, log: { _ in })
        do { _ = try t.train(); Issue.record("expected a leakage error") } catch let e as TrainingError {
            #expect(e.description.contains("student's test cases"))
        }
    }
}
