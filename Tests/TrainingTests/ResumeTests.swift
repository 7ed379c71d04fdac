import Engine
import Foundation
import NN
import TestSupport
import Testing
@testable import Training

/// A strategy that adds nothing, except a NaN loss at one chosen global step (0-based, before that step's update).
final class NaNAtStepStrategy: Strategy {
    static let name = "nan-at-step"
    static let summary = "test strategy: NaN loss at one step"
    let badStep: Int?
    init(options: StrategyOptions) throws {
        let s = options.int("step", default: -1, in: -1...1_000_000)
        badStep = s >= 0 ? s : nil
        try options.finish()
    }
    func additionalLoss(_ step: StepContext) throws -> Tensor? {
        guard step.run.globalStep == badStep else { return nil }
        return step.logits.mean() * Float.nan
    }
}

/// Exact resume after failures, and the non-finite guard keeping a resumable checkpoint.
@Suite("Resume", .serialized)
struct ResumeTests {
    let fm = FileManager.default
    let split = DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: [])

    func store() -> CaseStore { toyResumeStore() }

    func config(_ dir: URL, nonFinite: NonFiniteAction = .stop) -> TrainConfig {
        var c = toyConfig(dir, epochs: 3)
        c.augmentation = .standard
        c.nonFinite = nonFinite
        return c
    }

    func trainer(_ dir: URL, nanAt: Int? = nil, nonFinite: NonFiniteAction = .stop, log: @escaping (String) -> Void = { _ in }) throws -> Trainer {
        let s = try NaNAtStepStrategy(options: StrategyOptions(nanAt.map { ["step": String($0)] } ?? [:], owner: "nan-at-step"))
        return try Trainer(config: config(dir, nonFinite: nonFinite), strategy: s, data: store(), split: split, runDirectory: dir, log: log)
    }

    func weights(_ t: Trainer) -> [Float] { t.run.model.parameters().flatMap { $0.scalars } }

    func tensors(_ url: URL) throws -> [String: [Float]] { try SafeTensors.read(contentsOf: url).tensors.mapValues { $0.scalars } }

    /// metrics.csv without the seconds column.
    /// The resumed run in `dir` ends exactly like the uninterrupted one in `ref`: weights, both checkpoints, metrics.csv.
    func expectSameRun(_ resumed: Trainer, _ dir: URL, as clean: Trainer, _ ref: URL) throws {
        #expect(weights(resumed) == weights(clean))
        for name in ["last", "best"] {
            #expect(try tensors(dir.appendingPathComponent("checkpoints/\(name).safetensors"))
                    == tensors(ref.appendingPathComponent("checkpoints/\(name).safetensors")), "\(name).safetensors differs")
        }
        #expect(try metrics(dir) == metrics(ref))
    }

    func metrics(_ dir: URL) throws -> [String] {
        let lines = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
        // The seconds column found by its header name (columns may be added before it).
        let seconds = lines.first?.split(separator: ",").firstIndex(of: "seconds")
        return lines.map {
            var f = $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if let i = seconds, i < f.count { f.remove(at: i) }
            return f.joined(separator: ",")
        }
    }

    @Test func nanLossStopsNamingEpochAndStepAndTheLastGoodCheckpointResumesExactly() throws {
        let ref = tempRunDir(), dir = tempRunDir()
        defer { try? fm.removeItem(at: ref); try? fm.removeItem(at: dir) }
        let clean = try trainer(ref)
        _ = try clean.train()

        // Global step 5 (0-based) is epoch 2, step 2 (1-based) with 4 steps per epoch.
        let bad = try trainer(dir, nanAt: 5)
        do {
            _ = try bad.train()
            Issue.record("a NaN loss did not stop the run")
        } catch let e as TrainingError {
            #expect(e.description.hasPrefix("epoch 2 step 2: loss is nan"), "\(e)")
        }
        let last = dir.appendingPathComponent("checkpoints/last.safetensors")
        let u = NetworkRegistry.build(config(dir).networkSpec(inChannels: 1), seed: 1)
        let state = try Checkpoint.load(from: last, model: u, optimizer: nil, strategy: nil)
        #expect(state.epochsDone == 1 && state.globalStep == 4)
        #expect(try metrics(dir).count == 2)

        // Resume (the NaN source removed): the same weights, checkpoints and metrics as the uninterrupted run.
        let resumed = try trainer(dir)
        _ = try resumed.train(resume: true)
        try expectSameRun(resumed, dir, as: clean, ref)
    }

    @Test func skipModeSkipsTheNonFiniteStepAndSaysWhere() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        var lines: [String] = []
        let t = try trainer(dir, nanAt: 5, nonFinite: .skip, log: { lines.append($0) })
        let r = try t.train()
        #expect(r.epochs == 3)
        #expect(lines.contains { $0.hasPrefix("warning: epoch 2 step 2: non-finite loss, step skipped") }, "\(lines)")
        #expect(weights(t).allSatisfy { $0.isFinite })
    }

    /// A crash while the last improving epoch writes `best`: `best` goes before `last`, so the resumed run redoes that
    /// epoch and ends exactly like the uninterrupted one, `best` included (the other order would resume past an epoch
    /// whose `best` was never written).
    @Test func crashWhileWritingBestCheckpointResumesExactly() throws {
        let ref = tempRunDir(), dir = tempRunDir()
        defer { try? fm.removeItem(at: ref); try? fm.removeItem(at: dir) }
        var lines: [String] = []
        let clean = try trainer(ref, log: { lines.append($0) })
        _ = try clean.train()
        let improvements = lines.filter { $0.contains("*best*") }.count
        try #require(improvements >= 1)
        AtomicFile.simulateFailure(at: dir.appendingPathComponent("checkpoints/best.safetensors"), afterBytes: 100, skip: improvements - 1)
        #expect(throws: TrainingError.self) { _ = try trainer(dir).train() }
        let resumed = try trainer(dir)
        _ = try resumed.train(resume: true)
        try expectSameRun(resumed, dir, as: clean, ref)
        #expect(try metrics(dir).map { $0.split(separator: ",")[0] } == ["epoch", "1", "2", "3"])
    }

    /// A crash while `last` is replaced keeps the previous `last`; resuming from it is exact.
    @Test func crashWhileWritingLastCheckpointResumesExactly() throws {
        let ref = tempRunDir(), dir = tempRunDir()
        defer { try? fm.removeItem(at: ref); try? fm.removeItem(at: dir) }
        let clean = try trainer(ref)
        _ = try clean.train()
        AtomicFile.simulateFailure(at: dir.appendingPathComponent("checkpoints/last.safetensors"), afterBytes: 100, skip: 1)
        #expect(throws: TrainingError.self) { _ = try trainer(dir).train() }
        let resumed = try trainer(dir)
        _ = try resumed.train(resume: true)
        try expectSameRun(resumed, dir, as: clean, ref)
    }

    /// A crash after the final `last` checkpoint but before metrics.csv got its row: the resume (nothing left to train)
    /// rewrites metrics.csv from the checkpoint, so no row is missing.
    @Test func crashBeforeTheFinalMetricsRowIsRepairedOnResume() throws {
        let ref = tempRunDir(), dir = tempRunDir()
        defer { try? fm.removeItem(at: ref); try? fm.removeItem(at: dir) }
        _ = try trainer(ref).train()
        AtomicFile.simulateFailure(at: dir.appendingPathComponent("metrics.csv"), afterBytes: 10, skip: 2)
        #expect(throws: TrainingError.self) { _ = try trainer(dir).train() }
        #expect(try metrics(dir).count == 3, "epochs 1-2 only before the resume")
        let r = try trainer(dir).train(resume: true)
        #expect(r.epochs == 3)
        #expect(try metrics(dir) == metrics(ref))
    }

    @Test func preflightFailureStopsBeforeTheFirstStep() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        let t = try trainer(dir)
        var seen: Int64 = 0
        #expect(throws: TrainingError.self) {
            _ = try t.train { bytes in
                seen = bytes
                throw TrainingError("\(dir.path): not enough free disk space")
            }
        }
        // Model weights plus Adam's two moments, 4 bytes each.
        #expect(seen >= 12 * Int64(t.run.model.parameters().reduce(0) { $0 + $1.count }), "checkpoint estimate \(seen) too small")
        #expect(t.run.globalStep == 0)
        #expect(try fm.contentsOfDirectory(atPath: dir.appendingPathComponent("checkpoints").path).isEmpty)
        #expect(!fm.fileExists(atPath: dir.appendingPathComponent("metrics.csv").path))
    }
}
