import Foundation
import Testing
@testable import Experiments
@testable import Training

/// What `compare --collect` reports for each cell, from the cell folders alone; and `--cell NAME|INDEX`.
@Suite("compare cell states")
struct CompareCellStatesTests {
    let fm = FileManager.default

    func write(_ text: String, _ url: URL) throws {
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    @Test func statesFromTheCellFolders() throws {
        let run = fm.temporaryDirectory.appendingPathComponent("states-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: run) }
        let settings = CompareSettings(strategies: ["supervised", "uda"], seeds: [0, 1, 2], base: TrainConfig(data: "d", out: run.path))
        try fm.createDirectory(at: run, withIntermediateDirectories: true)
        try settings.save(run.appendingPathComponent("compare.json"))
        let cells = run.appendingPathComponent("cells")
        // supervised-seed0 finished; uda-seed0 failed; supervised-seed1 interrupted by SIGTERM; uda-seed1 killed after
        // 2 epochs; supervised-seed2 held by a live process (this one); uda-seed2 only has a Slurm output file.
        for f in ["config.json", "summary.json"] { try write("{}", cells.appendingPathComponent("supervised-seed0/\(f)")) }
        try write("{}", cells.appendingPathComponent("uda-seed0/config.json"))
        try write("loading\nepoch 1/3\nerror: uda: weight must be >= 0\n\n", cells.appendingPathComponent("uda-seed0/log.txt"))
        try write("{}", cells.appendingPathComponent("supervised-seed1/config.json"))
        try write("epoch 1/3\ninterrupted by SIGTERM: checkpoint saved in epoch 2 after step 3/5 (x)\n",
                  cells.appendingPathComponent("supervised-seed1/log.txt"))
        try write("{}", cells.appendingPathComponent("uda-seed1/config.json"))
        try write("epoch,loss\n1,0.5\n2,0.4\n", cells.appendingPathComponent("uda-seed1/metrics.csv"))
        try write("epoch 1/3\nepoch 2/3\n", cells.appendingPathComponent("uda-seed1/log.txt"))
        // A lock left by a dead process is not "running".
        try write("pid=999999\nhost=\(FolderLock.hostName)\ncommand=train\nsince=x\n", cells.appendingPathComponent("uda-seed1/\(FolderLock.fileName)"))
        try fm.createDirectory(at: cells.appendingPathComponent("supervised-seed2"), withIntermediateDirectories: true)
        let lock = try FolderLock.acquire(cells.appendingPathComponent("supervised-seed2"), command: "train")
        try write("slurm task 3_5\n", cells.appendingPathComponent("uda-seed2/slurm-3_5.out"))

        let states = try Comparison.cellStates(run)
        #expect(states.map(\.cell) == ["supervised-seed0", "uda-seed0", "supervised-seed1", "uda-seed1", "supervised-seed2", "uda-seed2"])
        #expect(states[0].state == .finished)
        #expect(states[1].state == .failed("uda: weight must be >= 0"))
        #expect(states[2].state == .interrupted("interrupted by SIGTERM: checkpoint saved in epoch 2 after step 3/5 (x)"))
        #expect(states[3].state == .unfinished(epochs: 2))
        guard case .running(let who) = states[4].state else { Issue.record("\(states[4].state)"); return }
        #expect(who.contains("process \(getpid())"))
        #expect(states[5].state == .notStarted)
        lock.release()
        #expect(try Comparison.cellStates(run)[4].state == .notStarted)
    }

    @Test func cellByNameOrIndex() throws {
        let settings = CompareSettings(strategies: ["supervised", "uda"], seeds: [3, 7], base: TrainConfig(data: "d", out: "/r"))
        #expect(try Comparison.cell("2", of: settings) == (2, "supervised", 7))
        #expect(try Comparison.cell("uda-seed3", of: settings) == (1, "uda", 3))
        #expect(throws: TrainingError.self) { try Comparison.cell("4", of: settings) }
        #expect(throws: TrainingError.self) { try Comparison.cell("uda-seed0", of: settings) }
        #expect(throws: TrainingError.self) { try Comparison.cell("-1", of: settings) }
    }
}
