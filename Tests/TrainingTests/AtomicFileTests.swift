import Engine
import Foundation
import NN
import TestSupport
import Testing
@testable import Training

/// The one atomic writer: a failure mid-write never leaves a partial file under the final name, an existing file
/// keeps its content, and a checkpoint whose replacement failed still loads.
@Suite("Atomic artifacts")
struct AtomicFileTests {
    let fm = FileManager.default

    func visibleFiles(_ dir: URL) throws -> [String] { try fm.contentsOfDirectory(atPath: dir.path).sorted() }

    @Test func writeReplacesAndLeavesNoTemporary() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        let url = dir.appendingPathComponent("summary.json")
        try writeAtomically(Data("first".utf8), to: url)
        try writeAtomically(Data("second, longer".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "second, longer")
        #expect(try visibleFiles(dir) == ["summary.json"])
    }

    @Test func failedWriteLeavesNoFileUnderTheFinalName() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        let url = dir.appendingPathComponent("report.md")
        AtomicFile.simulateFailure(at: url, afterBytes: 10)
        #expect(throws: TrainingError.self) { try writeAtomically(Data(repeating: 65, count: 1000), to: url) }
        #expect(!fm.fileExists(atPath: url.path), "a partial file sits under the final name")
        let left = try visibleFiles(dir)
        #expect(left.isEmpty, "the temporary file was not removed: \(left)")
        // The hook was one-shot: the next write succeeds.
        try writeAtomically(Data("ok".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "ok")
    }

    @Test func failedWriteKeepsThePreviousContent() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        let url = dir.appendingPathComponent("metrics.csv")
        try writeAtomically(Data("epoch,loss\n1,0.5\n".utf8), to: url)
        AtomicFile.simulateFailure(at: url, afterBytes: 5)
        #expect(throws: TrainingError.self) { try writeAtomically(Data("epoch,loss\n1,0.5\n2,0.4\n".utf8), to: url) }
        #expect(try String(contentsOf: url, encoding: .utf8) == "epoch,loss\n1,0.5\n")
        #expect(try visibleFiles(dir) == ["metrics.csv"])
    }

    @Test func unwritableDestinationNamesThePath() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        let url = dir.appendingPathComponent("missing/summary.json")
        do {
            try writeAtomically(Data("x".utf8), to: url)
            Issue.record("writing into a missing folder succeeded")
        } catch let e as TrainingError {
            #expect(e.description.hasPrefix(url.path + ": cannot write ("), "\(e)")
        }
    }

    @Test func staleTemporariesAreRecognisedAndRemoved() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        for name in [".last.safetensors.tmp-123", ".tmp-1A2B.nii.gz", ".demo.ipynb.partial-9", "last.safetensors", ".hidden"] {
            try Data("x".utf8).write(to: dir.appendingPathComponent(name))
        }
        #expect(AtomicFile.removeStaleTemporaries(in: dir) == 3)
        #expect(try visibleFiles(dir) == [".hidden", "last.safetensors"])
    }

    /// A crash while the epoch-2 checkpoint replaces `last`: the epoch-1 checkpoint is still complete and loadable.
    @Test func failedCheckpointReplacementKeepsTheLastGoodOne() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        let data = CaseStore(labeled: toyCases(3, seed: 1), unlabeled: [], validation: [], test: [])
        let split = DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: [])
        let last = dir.appendingPathComponent("checkpoints/last.safetensors")
        AtomicFile.simulateFailure(at: last, afterBytes: 4096, skip: 1)
        let t = try Trainer(config: toyConfig(dir, epochs: 3), strategy: try CountingStrategy(options: StrategyOptions([:], owner: "counting")),
                            data: data, split: split, runDirectory: dir, log: { _ in })
        #expect(throws: TrainingError.self) { _ = try t.train() }
        let names = try visibleFiles(dir.appendingPathComponent("checkpoints"))
        // The epoch-1 `last` was hard-linked as its older copy before the failed replacement (CheckpointFiles).
        #expect(names == ["epoch0001-step0000004.safetensors", "last.safetensors"], "\(names)")
        let u = NetworkRegistry.build(toyConfig(dir).networkSpec(inChannels: 1), seed: 9)
        let state = try Checkpoint.load(from: last, model: u, optimizer: nil, strategy: nil)
        #expect(state.epochsDone == 1 && state.globalStep == 4)
    }
}
