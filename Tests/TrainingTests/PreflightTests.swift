@testable import Experiments
import Foundation
import Testing
@testable import Training

/// The disk-space and writability checks made before training (a full disk is injected through the free-space query;
/// `KillResumeCLITests` checks the same on real tmpfs mounts).
@Suite("Preflight")
struct PreflightTests {
    let fm = FileManager.default
    let estimate = Preflight.Estimate(checkpointBytes: 3_000_000, checkpointFiles: 3, predictionBytes: 2_000_000)

    @Test func estimateAddsCheckpointsPredictionsAndSmallFiles() {
        #expect(estimate.total == 9_000_000 + 2_000_000 + (1 << 20))
    }

    @Test func fullDiskIsRefusedWithNeedAndFreeSpace() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        do {
            try Preflight.checkSpace(dir, estimate: estimate, freeBytes: { _ in 5_000_000 })
            Issue.record("a disk with 5 MB free accepted a run needing 11.5 MB")
        } catch let e as TrainingError {
            #expect(e.description.hasPrefix(dir.path + ": not enough free disk space: the run needs about 11.5 MB"), "\(e)")
            #expect(e.description.hasSuffix("4.8 MB free"), "\(e)")
        }
    }

    @Test func enoughSpaceOrUnknownSpacePasses() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        try Preflight.checkSpace(dir, estimate: estimate, freeBytes: { _ in 20_000_000 })
        try Preflight.checkSpace(dir, estimate: estimate, freeBytes: { _ in nil })
        // A resumed run replaces what it already wrote: 8.1 MB already on disk + 4 MB free cover 11.5 MB.
        try Preflight.checkSpace(dir, estimate: estimate, alreadyWritten: 8_100_000, freeBytes: { _ in 4_000_000 })
        #expect(throws: TrainingError.self) {
            try Preflight.checkSpace(dir, estimate: estimate, alreadyWritten: 1_000_000, freeBytes: { _ in 4_000_000 })
        }
    }

    @Test func statvfsReportsFreeSpaceOfARealFolder() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        let free = try #require(Preflight.freeBytes(dir))
        #expect(free > 0)
        #expect(Preflight.freeBytes(dir.appendingPathComponent("no/such/folder")) == nil)
    }

    @Test func predictionEstimateIsThreeTimesTheTestImages() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.nii.gz"), b = dir.appendingPathComponent("b.nii.gz")
        try Data(count: 1000).write(to: a)
        try Data(count: 500).write(to: b)
        #expect(Preflight.predictionBytes(testImages: [a.path, b.path]) == 4500)
    }

    @Test func writabilityProbe() throws {
        let dir = tempRunDir(); defer { try? fm.removeItem(at: dir) }
        try Preflight.checkWritable(dir)
        #expect(try fm.contentsOfDirectory(atPath: dir.path).isEmpty, "the probe file was left behind")
        // A "folder" that is a regular file cannot take files (root can write anywhere, so no chmod test here).
        let file = dir.appendingPathComponent("plain")
        try Data("x".utf8).write(to: file)
        do {
            try Preflight.checkWritable(file)
            Issue.record("a regular file passed as a writable folder")
        } catch let e as TrainingError {
            #expect(e.description.hasPrefix(file.path + ": output folder is not writable"), "\(e)")
        }
    }
}
