import Engine
import Foundation
import NN
import TestSupport
import Testing
@testable import Training
#if canImport(Glibc)
import Glibc
#endif

/// A strategy that records a per-epoch value (so the epoch's running means must survive a mid-epoch checkpoint),
/// draws from the strategy RNG every step, and raises a simulated SIGTERM after one chosen global step.
final class SignalAtStepStrategy: Strategy {
    static let name = "signal-at-step"
    static let summary = "test strategy: SIGTERM after one step"
    let signalAfter: Int?
    init(signalAfter: Int?) { self.signalAfter = signalAfter }
    init(options: StrategyOptions) throws { signalAfter = nil }
    func didFinishStep(_ run: RunContext, _ step: StepContext) throws {
        run.record("draw", Double(run.rng.uniform(0, 1)))
        if run.globalStep == signalAfter { Interrupt.simulate(SIGTERM) }
    }
}

/// Checkpoint digests, older checkpoints, the fall-back on a damaged `last`, and mid-epoch SIGTERM checkpoints.
@Suite("Checkpoint integrity and interrupts", .serialized)
struct CheckpointIntegrityTests {
    let fm = FileManager.default
    let split = DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: [])

    func store() -> CaseStore { toyResumeStore() }

    func trainer(_ dir: URL, keep: Int = 2, signalAfter: Int? = nil, log: @escaping (String) -> Void = { _ in }) throws -> Trainer {
        var c = toyConfig(dir, epochs: 3)
        c.augmentation = .standard
        let t = try Trainer(config: c, strategy: SignalAtStepStrategy(signalAfter: signalAfter), data: store(), split: split,
                            runDirectory: dir, log: log)
        t.keepCheckpoints = keep
        return t
    }

    func tensors(_ url: URL) throws -> [String: [Float]] { try SafeTensors.read(contentsOf: url).tensors.mapValues { $0.scalars } }

    /// metrics.csv without the seconds column (found by its header name).
    func metrics(_ dir: URL) throws -> [String] {
        let rows = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let seconds = try #require(rows.first?.firstIndex(of: "seconds"))
        return rows.map { r in r.enumerated().filter { $0.offset != seconds }.map(\.element).joined(separator: ",") }
    }

    /// Same weights, same tensors in `last` and `best`, same metrics.csv (without seconds) as the uninterrupted run.
    func expectSameRun(_ resumed: Trainer, _ dir: URL, as clean: Trainer, _ ref: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(resumed.run.model.parameters().flatMap { $0.scalars } == clean.run.model.parameters().flatMap { $0.scalars },
                sourceLocation: sourceLocation)
        for name in ["last", "best"] {
            #expect(try tensors(dir.appendingPathComponent("checkpoints/\(name).safetensors"))
                    == tensors(ref.appendingPathComponent("checkpoints/\(name).safetensors")), "\(name).safetensors", sourceLocation: sourceLocation)
        }
        #expect(try metrics(dir) == metrics(ref), sourceLocation: sourceLocation)
    }

    func flipByte(_ url: URL, fromEnd: Int = 100) throws {
        var d = try Data(contentsOf: url)
        d[d.count - fromEnd] ^= 0x10
        try d.write(to: url)
    }

    func names(_ dir: URL) throws -> [String] {
        try fm.contentsOfDirectory(atPath: dir.appendingPathComponent("checkpoints").path).sorted()
    }

    @Test func keepCheckpointsKeepsLastPlusOlderOnes() throws {
        for (keep, expected) in [(1, ["best.safetensors", "last.safetensors"]),
                                 (2, ["best.safetensors", "epoch0002-step0000008.safetensors", "last.safetensors"]),
                                 (5, ["best.safetensors", "epoch0001-step0000004.safetensors", "epoch0002-step0000008.safetensors", "last.safetensors"])] {
            let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
            _ = try trainer(dir, keep: keep).train()
            #expect(try names(dir) == expected, "keep \(keep)")
            // Every kept checkpoint is intact and holds its own position.
            for n in expected where n.hasPrefix("epoch") {
                let v = try Checkpoint.verify(dir.appendingPathComponent("checkpoints/" + n))
                #expect(n == String(format: "epoch%04d-step%07d.safetensors", v.state.epochsDone, v.state.globalStep))
            }
        }
    }

    @Test func aDamagedCheckpointIsRejectedWithAClearErrorByEveryLoader() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        let t = try trainer(dir)
        _ = try t.train()
        let best = dir.appendingPathComponent("checkpoints/best.safetensors")
        try flipByte(best)
        do {
            try t.loadBest()
            Issue.record("a damaged best checkpoint loaded")
        } catch let e as TrainingError {
            #expect(e.description.hasPrefix(best.path + ": damaged checkpoint: SHA-256 digest mismatch"), "\(e)")
        }
        // Cut short, and a file that is not a checkpoint at all.
        let d = try Data(contentsOf: best)
        try d.prefix(d.count / 2).write(to: best)
        #expect(throws: TrainingError.self) { try t.loadBest() }
        try SafeTensors.encode(["model.x": Tensor([1], shape: [1])], metadata: ["format": Checkpoint.format]).write(to: best)
        do { try t.loadBest(); Issue.record("no error") } catch let e as TrainingError {
            #expect(e.description.contains("damaged checkpoint: no SHA-256 digest"), "\(e)")
        }
    }

    /// The issue's scenario: a flipped byte in `last.safetensors` -> `--resume` warns naming the file, resumes from the
    /// previous (intact) checkpoint, and ends exactly like the uninterrupted run.
    @Test func damagedLastResumesFromThePreviousCheckpointExactly() throws {
        let ref = tempRunDir(), dir = tempRunDir()
        defer { try? fm.removeItem(at: ref); try? fm.removeItem(at: dir) }
        let clean = try trainer(ref)
        _ = try clean.train()
        // Interrupted after epoch 2 (SIGTERM at the epoch boundary), then `last` (epoch 2) is damaged on disk.
        #expect(throws: TrainingInterrupted.self) { _ = try trainer(dir, signalAfter: 8).train() }
        let last = dir.appendingPathComponent("checkpoints/last.safetensors")
        try flipByte(last)
        var lines: [String] = []
        let resumed = try trainer(dir, log: { lines.append($0) })
        _ = try resumed.train(resume: true)
        #expect(lines.contains { $0.hasPrefix("warning: \(last.path): damaged checkpoint: SHA-256 digest mismatch") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("warning: resuming from epoch0001-step0000004.safetensors (epoch 1, step 4)") }, "\(lines)")
        #expect(lines.contains("resumed from epoch 1 (step 4)"), "\(lines)")
        try expectSameRun(resumed, dir, as: clean, ref)
        #expect(fm.fileExists(atPath: last.path + ".damaged"))
    }

    @Test func noIntactCheckpointRefusesToResume() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        #expect(throws: TrainingInterrupted.self) { _ = try trainer(dir, signalAfter: 8).train() }
        for n in try names(dir) where n.hasSuffix(".safetensors") && n != "best.safetensors" {
            try flipByte(dir.appendingPathComponent("checkpoints/" + n))
        }
        let t = try trainer(dir)
        do {
            _ = try t.train(resume: true)
            Issue.record("resumed without an intact checkpoint")
        } catch let e as TrainingError {
            #expect(e.description.contains("no intact checkpoint to resume from"), "\(e)")
        }
        #expect(t.run.globalStep == 0)
    }

    /// SIGTERM in the middle of epoch 2 (after its 3rd of 4 steps): a mid-epoch checkpoint with the iteration, the
    /// epoch's running sums and the strategy's epoch values; the resume continues bit-exactly.
    @Test func sigtermMidEpochCheckpointsAtTheStepBoundaryAndResumesExactly() throws {
        let ref = tempRunDir(), dir = tempRunDir()
        defer { try? fm.removeItem(at: ref); try? fm.removeItem(at: dir) }
        let clean = try trainer(ref)
        _ = try clean.train()
        do {
            _ = try trainer(dir, signalAfter: 7).train()
            Issue.record("SIGTERM did not stop the run")
        } catch let e as TrainingInterrupted {
            #expect(e.signal == SIGTERM && e.exitStatus == 143 && e.epoch == 2 && e.iteration == 3)
            #expect(e.description == "interrupted by SIGTERM: checkpoint saved in epoch 2 after step 3/4 (\(dir.path)/checkpoints/last.safetensors)")
        }
        #expect(Interrupt.pending == nil)
        let v = try Checkpoint.verify(dir.appendingPathComponent("checkpoints/last.safetensors"))
        #expect(v.state.epochsDone == 1 && v.state.globalStep == 7)
        let p = try #require(v.state.epochProgress)
        #expect(p.iteration == 3 && p.counted == 3 && p.epochCounts == ["draw": 3])
        #expect(try names(dir) == ["best.safetensors", "epoch0001-step0000004.safetensors", "last.safetensors"])
        var lines: [String] = []
        let resumed = try trainer(dir, log: { lines.append($0) })
        _ = try resumed.train(resume: true)
        #expect(lines.contains("resumed from epoch 1 (step 7), epoch 2 step 3/4"), "\(lines)")
        try expectSameRun(resumed, dir, as: clean, ref)
    }
}
