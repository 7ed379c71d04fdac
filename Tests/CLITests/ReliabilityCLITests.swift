import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 18 with the real binary: SIGTERM mid-epoch, a damaged `last`, two processes on one folder, a full disk.
extension KillResumeCLITests {
    /// Starts `semiseg args` with output to `log`; once the output contains `marker`, calls `action(pid)`. Returns the
    /// process (finished) and whether the action ran. Only a non-empty log is read: Foundation leaks its read buffer
    /// on a zero-length file (LeakSanitizer).
    func whenOutput(_ args: [String], contains marker: String, log: URL, _ action: (Int32) throws -> Void) throws -> (Process, Bool) {
        let bin = try #require(CLI.binary)
        try Data().write(to: log)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        let h = try FileHandle(forWritingTo: log)
        p.standardOutput = h; p.standardError = h
        try p.run()
        var acted = false
        while p.isRunning {
            let size = (try? fm.attributesOfItem(atPath: log.path)[.size] as? Int) ?? 0
            if !acted, size > 0, let s = try? String(contentsOf: log, encoding: .utf8), s.contains(marker) {
                try action(p.processIdentifier); acted = true
            }
            usleep(5_000)
        }
        p.waitUntilExit()
        try h.close()
        return (p, acted)
    }

    func text(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

    /// Same checkpoint tensors (last, best) and the same per-case test metrics as the reference run.
    func expectSameResult(_ run: String, as ref: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for name in ["last", "best"] {
            #expect(try tensors(run + "/checkpoints/\(name).safetensors") == tensors(ref + "/checkpoints/\(name).safetensors"),
                    "\(name).safetensors tensors differ", sourceLocation: sourceLocation)
        }
        #expect(try summary(run) == summary(ref), sourceLocation: sourceLocation)
        for f in try fm.contentsOfDirectory(atPath: ref + "/predictions") where f.hasSuffix(".nii.gz") {
            #expect(fm.contents(atPath: run + "/predictions/" + f) == fm.contents(atPath: ref + "/predictions/" + f),
                    "predictions/\(f) differs", sourceLocation: sourceLocation)
        }
    }

    /// SIGTERM mid-epoch: a checkpoint at the next step boundary, exit 143 with one line; `--resume` is exact. Then the
    /// same once more with the mid-epoch `last` damaged (a flipped byte): the resume names it and falls back to the
    /// previous checkpoint, still ending exactly like the uninterrupted run.
    @Test func sigtermMidEpochAndADamagedLastResumeExactly() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try synth(dir)
        let ref = dir.appendingPathComponent("ref").path
        let r = try CLI.runBinary(trainArgs(data, out: ref))
        #expect(r.status == 0, "\(r.stderr)")
        for damage in [false, true] {
            let run = dir.appendingPathComponent(damage ? "damaged" : "sigterm").path
            let log = dir.appendingPathComponent(damage ? "damaged.log" : "sigterm.log")
            // Step 6 is epoch 2's second of four steps: the checkpoint lands in epoch 2 (step 6 or a later step of it).
            let (p, sent) = try whenOutput(trainArgs(data, out: run), contains: "step 6 (", log: log) { kill($0, SIGTERM) }
            #expect(sent)
            #expect(p.terminationReason == .exit && p.terminationStatus == 143, "\(text(log))")
            let line = try #require(text(log).split(separator: "\n").first { $0.hasPrefix("interrupted by SIGTERM") }, "\(text(log))")
            // Normally "in epoch 2 after step 6/4 or 7/4"; a process stalled by a loaded machine may be further on.
            #expect(line.contains("checkpoint saved in epoch 2 after step") || line.contains("checkpoint saved after epoch 2")
                    || line.contains("checkpoint saved in epoch 3 after step"), "\(line)")
            #expect(line.contains(run + "/checkpoints/last.safetensors") && line.hasSuffix("continue with the same command (train: --resume)"), "\(line)")
            if damage {
                let last = run + "/checkpoints/last.safetensors"
                var d = try Data(contentsOf: URL(fileURLWithPath: last))
                d[d.count - 64] ^= 0x01
                try d.write(to: URL(fileURLWithPath: last))
            }
            let again = try CLI.runBinary(trainArgs(data, out: run) + ["--resume"])
            #expect(again.status == 0, "\(again.stderr)")
            if damage {
                #expect(again.stdout.contains("warning: \(run)/checkpoints/last.safetensors: damaged checkpoint: SHA-256 digest mismatch"), "\(again.stdout)")
                // The previous checkpoint: epoch 1's (or epoch 2's when the signal landed in epoch 3).
                #expect(again.stdout.contains("resumed from epoch 1 (step 4)") || (line.contains("in epoch 3") && again.stdout.contains("resumed from epoch 2 (step 8)")),
                        "\(again.stdout)")
            } else {
                #expect(again.stdout.contains("resumed from epoch "), "\(again.stdout)")
            }
            try expectSameResult(run, as: ref)
        }
        // Every loader checks the digest: `predict` with a damaged best checkpoint stops with the file named.
        let best = dir.appendingPathComponent("damaged/checkpoints/best.safetensors")
        var d = try Data(contentsOf: best)
        d[d.count / 2] ^= 0x40
        try d.write(to: best)
        let pred = try CLI.runBinary(["predict", "--run", dir.appendingPathComponent("damaged").path, "--input", data,
                                "--out", dir.appendingPathComponent("pred").path])
        #expect(pred.status == 1)
        #expect(pred.stderr.hasPrefix("error: \(best.path): damaged checkpoint: SHA-256 digest mismatch"), "\(pred.stderr)")
    }

    /// Two `train` processes on one folder: the second is refused naming the first's pid; after a SIGKILL of the
    /// first, its lock is taken over by the resume.
    @Test func aSecondWriterIsRefusedAndALockOfAKilledProcessIsTakenOver() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try synth(dir)
        let run = dir.appendingPathComponent("run").path
        var second: CLI.Result?
        var holder: Int32 = 0
        let (_, acted) = try whenOutput(trainArgs(data, out: run), contains: "epoch 1/3  loss", log: dir.appendingPathComponent("first.log")) { pid in
            holder = pid
            kill(pid, SIGSTOP)  // keep the first process inside its run while the second tries
            second = try CLI.runBinary(trainArgs(data, out: run) + ["--resume"])
            let pred = try CLI.runBinary(["predict", "--run", run, "--input", data, "--out", run])
            #expect(pred.status == 1 && pred.stderr.contains("in use by process \(pid)"), "\(pred.stderr)")
            // --overwrite clears a folder only under its lock: refused, and the running run's files stay.
            let over = try CLI.runBinary(trainArgs(data, out: run) + ["--overwrite"])
            #expect(over.status == 1 && over.stderr.contains("in use by process \(pid)"), "\(over.stderr)")
            #expect(FileManager.default.fileExists(atPath: run + "/config.json") && FileManager.default.fileExists(atPath: run + "/split.json"))
            kill(pid, SIGKILL)
            kill(pid, SIGCONT)
        }
        #expect(acted)
        let s = try #require(second)
        #expect(s.status == 1)
        #expect(s.stderr.hasPrefix("error: \(run): in use by process \(holder) (`train` on "), "\(s.stderr)")
        #expect(s.stderr.contains("stop it (kill \(holder))"), "\(s.stderr)")
        let again = try CLI.runBinary(trainArgs(data, out: run) + ["--resume"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("note: \(run): took over the lock of process \(holder) (`train` on "), "\(again.stdout)")
    }

    /// A disk that fills up during the run (a small tmpfs, filled once epoch 1 is checkpointed): the run stops with
    /// `error: <file>: no space left on device`, keeps the epoch-1 checkpoint, and resumes exactly once space is back.
    @Test(.enabled(if: KillResumeCLITests.canMount, "needs root to mount a tmpfs"))
    func aDiskFillingUpMidRunStopsNamingTheFileAndResumesExactly() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try synth(dir)
        let ref = dir.appendingPathComponent("ref").path
        #expect(try CLI.runBinary(trainArgs(data, out: ref)).status == 0)
        let mnt = dir.appendingPathComponent("mnt")
        try fm.createDirectory(at: mnt, withIntermediateDirectories: true)
        #expect(sh(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt.path]) == 0)
        defer { _ = sh(["umount", mnt.path]) }
        let run = mnt.appendingPathComponent("run").path, filler = mnt.appendingPathComponent("filler").path
        let (p, filled) = try whenOutput(trainArgs(data, out: run), contains: "epoch 1/3  loss", log: dir.appendingPathComponent("full.log")) { pid in
            kill(pid, SIGSTOP)
            defer { kill(pid, SIGCONT) }
            // Every free byte: large blocks, then single bytes.
            let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            let block = [UInt8](repeating: 7, count: 65_536)
            for size in [65_536, 4096, 1] {
                while block.withUnsafeBytes({ write(fd, $0.baseAddress, size) }) == size {}
            }
            close(fd)
        }
        #expect(filled)
        let out = text(dir.appendingPathComponent("full.log"))
        #expect(p.terminationStatus == 1, "\(out)")
        let err = try #require(out.split(separator: "\n").first { $0.hasPrefix("error: ") }, "\(out)")
        // The first write of epoch 2 that fails: TensorBoard events, a progress picture, or the checkpoint.
        #expect(err.hasPrefix("error: \(run)/") && err.hasSuffix(": no space left on device"), "\(err)")
        #expect(try fm.contentsOfDirectory(atPath: run + "/checkpoints").filter { $0.hasPrefix(".") }.isEmpty, "temporary file left")
        try fm.removeItem(atPath: filler)
        let again = try CLI.runBinary(trainArgs(data, out: run) + ["--resume"])
        #expect(again.status == 0, "\(again.stderr)")
        // Normally epoch 1's checkpoint; a process stalled by a loaded machine may have written epoch 2's before the stop.
        #expect(again.stdout.contains("resumed from epoch 1 (step 4)") || again.stdout.contains("resumed from epoch 2 (step 8)"), "\(again.stdout)")
        try expectSameResult(run, as: ref)
    }
}
