import Foundation
import Testing

/// Issue 13, the first hour of a new user: the default network follows the data, model/data mismatches and run
/// folders are refused before anything is written, comparisons grow, `train --help` shows defaults, `predict` into a
/// read-only folder and `evaluate`'s NSD tolerance speak plainly.
@Suite("first-hour CLI behaviour", .serialized)
struct FirstHourCLITests {
    let fm = FileManager.default

    /// Tiny training flags without --model (the default must follow the data).
    let tiny = ["--base", "4", "--depth", "2", "--epochs", "1", "--iterations", "2", "--batch-size", "2",
                "--labeled", "3", "--validation", "1", "--augmentation", "none", "--quiet"]

    func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test func twoDimensionalDataGetsA2DNetworkAndMismatchesNameTheFlag() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try CLI.synth2D(dir, cases: 6, testCases: 2, seed: 4)
        #expect(try json(data + "/dataset.json")["tensorImageSize"] as? String == "2D")
        let run = dir.appendingPathComponent("run").path
        let ok = try CLI.run(["train", "--data", data, "--out", run] + tiny)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try json(run + "/config.json")["model"] as? String == "unet2d")

        // A 3D network on 2D images: refused, naming --model, and nothing written.
        let bad = dir.appendingPathComponent("bad").path
        let r3 = try CLI.run(["train", "--data", data, "--out", bad, "--model", "unet3d"] + tiny)
        #expect(r3.status == 1 && r3.stderr.contains("the dataset is 2D") && r3.stderr.contains("use --model unet2d"), "\(r3.stderr)")
        #expect(!fm.fileExists(atPath: bad))
        // Stretching one slice into 16 is refused too (the workaround that silently trained a 3D U-Net).
        let stretch = try CLI.run(["train", "--data", data, "--out", bad, "--resize", "16,128,128"] + tiny)
        #expect(stretch.status == 1 && stretch.stderr.contains("use --resize 1,128,128"), "\(stretch.stderr)")
        #expect(!fm.fileExists(atPath: bad))
        // The same through compare: refused before the comparison folder exists.
        let cmp = try CLI.run(["compare", "--data", data, "--out", bad, "--strategies", "supervised", "--model", "unet3d"] + tiny)
        #expect(cmp.status == 1 && cmp.stderr.contains("use --model unet2d"), "\(cmp.stderr)")
        #expect(!fm.fileExists(atPath: bad))

        // A run refused after the data were loaded (the pseudo-label teacher run does not exist) leaves no folder either.
        let late = try CLI.run(["train", "--data", data, "--out", bad, "--strategy", "pseudo-label", "--opt", "teacher=\(dir.path)/no-run"] + tiny)
        #expect(late.status == 1 && late.stderr.hasPrefix("error: "), "\(late.stderr)")
        #expect(!fm.fileExists(atPath: bad), "a refused run left \(bad) behind")

        // A 2D network on whole 3D volumes: refused, naming --patch and --model.
        let vol = dir.appendingPathComponent("vol").path
        let s3 = try CLI.run(["synth", "--out", vol, "--cases", "3", "--test-cases", "1", "--dims", "3", "--seed", "2"])
        #expect(s3.status == 0, "\(s3.stderr)")
        #expect(try json(vol + "/dataset.json")["tensorImageSize"] as? String == "3D")
        let r2 = try CLI.run(["train", "--data", vol, "--out", bad, "--model", "unet2d", "--labeled", "1", "--validation", "1",
                              "--test-count", "1", "--quiet"])
        #expect(r2.status == 1 && r2.stderr.contains("add --patch 1,H,W") && r2.stderr.contains("--model unet3d"), "\(r2.stderr)")
        #expect(!fm.fileExists(atPath: bad))
    }

    @Test func runFoldersAreNeitherReplacedNorResumedByAccident() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try CLI.synth2D(dir, cases: 6, testCases: 2, seed: 4)
        let run = dir.appendingPathComponent("run").path
        #expect(try CLI.run(["train", "--data", data, "--out", run] + tiny).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoints/last.safetensors"))

        // A finished run is not replaced without --overwrite.
        let again = try CLI.run(["train", "--data", data, "--out", run, "--seed", "1"] + tiny)
        #expect(again.status == 1 && again.stderr.contains("holds a finished run") && again.stderr.contains("--overwrite"), "\(again.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoints/last.safetensors")) == before)
        // --overwrite with bad settings keeps the old run (it is removed only once the new run is valid).
        let badOverwrite = try CLI.run(["train", "--data", data, "--out", run, "--overwrite", "--model", "unet3d"] + tiny)
        #expect(badOverwrite.status == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoints/last.safetensors")) == before)
        // --overwrite replaces it.
        let over = try CLI.run(["train", "--data", data, "--out", run, "--overwrite", "--seed", "1"] + tiny)
        #expect(over.status == 0, "\(over.stderr)")
        #expect(try json(run + "/config.json")["seed"] as? Int == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoints/last.safetensors")) != before)

        // An unfinished run: refused without a flag, naming --resume.
        try fm.removeItem(atPath: run + "/summary.json")
        let unfinished = try CLI.run(["train", "--data", data, "--out", run, "--seed", "1"] + tiny)
        #expect(unfinished.status == 1 && unfinished.stderr.contains("unfinished run") && unfinished.stderr.contains("--resume"), "\(unfinished.stderr)")

        // --resume on a folder where no run was started (a typo in --out): refused, nothing created.
        let typo = dir.appendingPathComponent("rnu").path
        let resume = try CLI.run(["train", "--data", data, "--out", typo, "--resume"] + tiny)
        #expect(resume.status == 1 && resume.stderr.contains("nothing to resume") && resume.stderr.contains("drop --resume"), "\(resume.stderr)")
        #expect(!fm.fileExists(atPath: typo))
        let both = try CLI.run(["train", "--data", data, "--out", run, "--resume", "--overwrite"] + tiny)
        #expect(both.status == 1 && both.stderr.contains("give one of them"), "\(both.stderr)")
        // --resume on the unfinished run continues it.
        let cont = try CLI.run(["train", "--data", data, "--out", run, "--resume", "--seed", "1"] + tiny)
        #expect(cont.status == 0 && fm.fileExists(atPath: run + "/summary.json"), "\(cont.stderr)")
    }

    @Test func trainHelpShowsDefaults() throws {
        let h = try CLI.run(["train", "--help"])
        #expect(h.status == 0)
        let text = h.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        for expected in ["(default auto: unet2d for 2D data", "(default 4)", "(default 20)", "(default 0.001)", "(default standard)",
                         "(default dice-ce)", "(default adam)", "(default ct)", "default supervised)", "--overwrite"] {
            #expect(text.contains(expected), "train --help lacks \(expected)")
        }
    }

    @Test func predictIntoAReadOnlyFolderIsAOneLineError() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try CLI.synth2D(dir, cases: 6, testCases: 2, seed: 4)
        let run = dir.appendingPathComponent("run").path
        #expect(try CLI.run(["train", "--data", data, "--out", run] + tiny).status == 0)
        let ro = dir.appendingPathComponent("ro")
        try fm.createDirectory(at: ro, withIntermediateDirectories: true)
        let bin = try #require(CLI.binary)
        let predictArgs = ["predict", "--run", run, "--input", data]
        var results: [(String, CLI.Result)] = []
        if getuid() == 0 {
            // root writes through permission bits: mount a read-only file system over the folder in a private namespace.
            for out in [ro.path, ro.path + "/preds"] {
                let cmd = "mount -t tmpfs -o ro none '\(ro.path)' && exec '\(bin)' " + (predictArgs + ["--out", out]).map { "'\($0)'" }.joined(separator: " ")
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
                p.arguments = ["-m", "sh", "-c", cmd]
                let err = Pipe(); p.standardError = err; p.standardOutput = Pipe()
                try p.run()
                let e = err.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                results.append((out, CLI.Result(status: p.terminationStatus, stdout: "", stderr: String(decoding: e, as: UTF8.self))))
            }
        } else {
            try fm.setAttributes([.posixPermissions: 0o555], ofItemAtPath: ro.path)
            defer { try? fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: ro.path) }
            for out in [ro.path, ro.path + "/preds"] { results.append((out, try CLI.run(predictArgs + ["--out", out]))) }
        }
        for (out, r) in results {
            let lines = r.stderr.split(separator: "\n")
            #expect(r.status == 1 && lines.count == 1 && lines[0].hasPrefix("error: \(out): "), "\(r.stderr)")
            #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("Code="), "\(r.stderr)")
            #expect(r.stderr.contains("Read-only file system") || r.stderr.contains("not writable") || r.stderr.contains("Permission denied"), "\(r.stderr)")
        }
    }

    @Test func evaluateDefaultsNSDToleranceToTheVoxelSizeAndWarnsBelowIt() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try CLI.synth2D(dir, cases: 2, testCases: 2, seed: 4)
        let inspect = try CLI.run(["inspect", data + "/labelsTs/spleen_2.nii.gz", "--json"])
        let spacing = try #require((try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])?["spacing"] as? [Double])
        let inPlane = Array(spacing.prefix(2)), voxel = inPlane.max() ?? 0
        #expect(voxel > 0)
        // The references against themselves: NSD 1 at any tolerance; what matters is the tolerance used and said.
        let out = dir.appendingPathComponent("eval.json").path
        let d = try CLI.run(["evaluate", "--pred", data + "/labelsTs", "--gt", data, "--out", out])
        #expect(d.status == 0 && d.stdout.contains(String(format: "note: NSD tolerance %.3g mm", voxel)), "\(d.stdout) \(d.stderr)")
        let small = try CLI.run(["evaluate", "--pred", data + "/labelsTs", "--gt", data, "--out", out, "--nsd-tolerance", String(voxel / 4)])
        #expect(small.status == 0 && small.stderr.contains("warning: --nsd-tolerance") && small.stderr.contains("below the voxel size"), "\(small.stderr)")
        let fine = try CLI.run(["evaluate", "--pred", data + "/labelsTs", "--gt", data, "--out", out, "--nsd-tolerance", String(voxel * 2)])
        #expect(fine.status == 0 && fine.stderr.isEmpty && !fine.stdout.contains("note: NSD"), "\(fine.stderr)")
    }

    @Test func quickStartOutputsAreGitIgnored() throws {
        let ignore = try String(contentsOf: CLI.repoRoot.appendingPathComponent(".gitignore"), encoding: .utf8)
        let lines = Set(ignore.split(separator: "\n").map(String.init))
        for p in ["/data/", "/preds/", "/pngs/", "/eval.json", "/runs/"] { #expect(lines.contains(p), "\(p) not in .gitignore") }
        let readme = try String(contentsOf: CLI.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("one entry in the `plugins` list") && readme.contains("rampedWeight"))
        let plugins = try String(contentsOf: CLI.repoRoot.appendingPathComponent("Plugins/README.md"), encoding: .utf8)
        #expect(plugins.contains("rampedWeight(weight, progress: step.run.progress, rampUp: rampUp)"))
    }
}
