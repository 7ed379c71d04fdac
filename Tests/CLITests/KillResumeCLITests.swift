import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real binary under SIGKILL and on real (tiny tmpfs) file systems. `scripts/kill-resume.sh` (run by `make test`)
/// covers more kill points, `compare`, and predictions; this is the in-suite guard.
@Suite("kill, resume, preflight (CLI)", .serialized)
struct KillResumeCLITests {
    let fm = FileManager.default

    func synth(_ dir: URL) throws -> String { try CLI.synth2D(dir, cases: 8, testCases: 2, seed: 4) }

    func trainArgs(_ data: String, out: String) -> [String] {
        ["train", "--data", data, "--out", out, "--strategy", "mc-dropout", "--model", "unet2d", "--base", "4", "--depth", "2",
         "--epochs", "3", "--iterations", "4", "--batch-size", "2", "--labeled", "3", "--validation", "2",
         "--augmentation", "standard", "--log-steps"]
    }

    /// Tensor name -> bytes (dtype, shape and data) of a safetensors file; the JSON metadata (timings) is left out.
    func tensors(_ path: String) throws -> [String: Data] {
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = Int(raw.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try #require(try JSONSerialization.jsonObject(with: raw.subdata(in: 8..<(8 + n))) as? [String: Any])
        var out: [String: Data] = [:]
        for (k, v) in header where k != "__metadata__" {
            let d = try #require(v as? [String: Any]), o = try #require(d["data_offsets"] as? [Int])
            out[k] = Data("\(d["dtype"] ?? "")\(d["shape"] ?? "")".utf8) + raw.subdata(in: (8 + n + o[0])..<(8 + n + o[1]))
        }
        return out
    }

    func untimed(_ v: Any) -> Any {
        if let d = v as? [String: Any] { return d.filter { !$0.key.lowercased().contains("seconds") }.mapValues(untimed) }
        if let a = v as? [Any] { return a.map(untimed) }
        return v
    }

    func summary(_ run: String) throws -> NSDictionary {
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json")))
        return try #require(untimed(obj) as? NSDictionary)
    }

    /// Starts `semiseg args`, SIGKILLs it once its output contains `marker`; returns whether the kill landed.
    func killWhen(_ args: [String], outputContains marker: String, log: URL) throws -> Bool {
        let (p, killed) = try whenOutput(args, contains: marker, log: log) { kill($0, SIGKILL) }
        if killed { #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL) }
        return killed
    }

    @Test func sigkillMidEpochThenResumeGivesTheUninterruptedResult() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try synth(dir)
        let ref = dir.appendingPathComponent("ref").path, run = dir.appendingPathComponent("run").path
        let r = try CLI.runBinary(trainArgs(data, out: ref))
        #expect(r.status == 0, "\(r.stderr)")
        // Step 7 is epoch 2's third of four steps: the kill lands in step 8, after the epoch-1 checkpoint.
        #expect(try killWhen(trainArgs(data, out: run), outputContains: "step 7 (", log: dir.appendingPathComponent("killed.log")))
        let again = try CLI.runBinary(trainArgs(data, out: run) + ["--resume"])
        #expect(again.status == 0, "\(again.stderr)")
        // Normally "epoch 1 (step 4)"; a process stalled by a loaded machine may have finished epoch 2 before the kill.
        #expect(again.stdout.contains("resumed from epoch 1 (step 4)") || again.stdout.contains("resumed from epoch 2 (step 8)"),
                "\(again.stdout)")
        for name in ["last", "best"] {
            #expect(try tensors(run + "/checkpoints/\(name).safetensors") == tensors(ref + "/checkpoints/\(name).safetensors"),
                    "\(name).safetensors tensors differ")
        }
        #expect(try summary(run) == summary(ref))
        let names = try fm.contentsOfDirectory(atPath: run + "/checkpoints")
        // --keep-checkpoints 2 (default): last plus the previous one (epoch 2 of 3, step 8).
        #expect(names.sorted() == ["best.safetensors", "epoch0002-step0000008.safetensors", "last.safetensors"], "\(names)")
        // Another thread count cannot continue bit-identically (parallel sums split by thread count): it says so.
        let other = try CLI.runBinary(trainArgs(data, out: ref) + ["--resume", "--threads", "1"])
        #expect(other.status == 0, "\(other.stderr)")
        #expect(other.stdout.contains("note: the run trained with --threads 2, this resume uses 1"), "\(other.stdout)")
        #expect(!again.stdout.contains("note: the run trained with --threads"))
    }

    // MARK: - Preflight on real file systems (needs root to mount tmpfs)

    func sh(_ args: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("mount-probe-\(getpid())")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: d) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", d.path]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return false }
        let u = Process()
        u.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        u.arguments = ["umount", d.path]
        try? u.run(); u.waitUntilExit()
        return true
    }()

    @Test(.enabled(if: KillResumeCLITests.canMount, "needs root to mount a tmpfs"))
    func fullDiskAndReadOnlyFolderAreRefusedBeforeTraining() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try synth(dir)
        let full = dir.appendingPathComponent("full"), ro = dir.appendingPathComponent("ro")
        for m in [full, ro] { try fm.createDirectory(at: m, withIntermediateDirectories: true) }
        #expect(sh(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", full.path]) == 0)
        defer { _ = sh(["umount", full.path]) }
        #expect(sh(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", ro.path]) == 0)
        defer { _ = sh(["umount", ro.path]) }
        try fm.createDirectory(at: ro.appendingPathComponent("run"), withIntermediateDirectories: true)
        #expect(sh(["mount", "-o", "remount,ro", ro.path]) == 0)

        let a = try CLI.runBinary(trainArgs(data, out: full.appendingPathComponent("run").path))
        #expect(a.status == 1)
        #expect(a.stderr.hasPrefix("error: \(full.path)/run: not enough free disk space: the run needs about"), "\(a.stderr)")
        #expect(!a.stdout.contains("step 1 ("), "training started: \(a.stdout)")
        #expect(((try? fm.contentsOfDirectory(atPath: full.path + "/run/checkpoints")) ?? []).isEmpty)

        let b = try CLI.runBinary(trainArgs(data, out: ro.appendingPathComponent("run").path))
        #expect(b.status == 1)
        #expect(b.stderr.hasPrefix("error: \(ro.path)/run: output folder is not writable"), "\(b.stderr)")
        #expect(b.stderr.contains("Read-only file system"), "\(b.stderr)")
        #expect(!b.stdout.contains("step 1 ("))
    }
}
